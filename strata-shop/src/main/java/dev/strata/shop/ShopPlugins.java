package dev.strata.shop;

import java.util.ArrayList;
import java.util.List;

/**
 * The plug-ins every {@code strata shop} installs. One method per owner, so each team edits only
 * its own method body and merges never conflict: return your {@link ShopPlugin}s from it (see the
 * example on {@link ShopPlugin}). Tests add more through {@link Shop#start(ShopConfig, List, java.io.PrintStream)}.
 */
final class ShopPlugins {

    private ShopPlugins() {
    }

    /** In install order. */
    static List<ShopPlugin> installed() {
        List<ShopPlugin> all = new ArrayList<>();
        // The diagnosis's verdicts also head the dashboard: one diagnoser, shared.
        java.util.concurrent.atomic.AtomicReference<dev.strata.diagnosis.Diagnoser> diagnoser =
                new java.util.concurrent.atomic.AtomicReference<>();
        all.addAll(diagnosis(diagnoser::set));
        // http before observability: the metrics bind the edge's adaptive limit http publishes
        all.addAll(http());
        all.addAll(observability(diagnoser::get));
        all.addAll(limits());
        return all;
    }

    /**
     * Issue 10 (diag): {@code GET /strata/diagnosis}, the runtime's own diagnoser: every dependency,
     * pool, breaker, bulkhead, retry budget, connection budget and registry finding of the shop's
     * runtime, as any service mounts it. The runtime closes it at shutdown.
     */
    private static List<ShopPlugin> diagnosis(java.util.function.Consumer<dev.strata.diagnosis.Diagnoser> started) {
        return List.of(ShopPlugin.named("diagnosis", shop -> {
            dev.strata.diagnosis.Diagnoser diagnoser = dev.strata.diagnosis.Diagnoser.of(shop.runtime());
            started.accept(diagnoser);
            shop.routes().get("/strata/diagnosis", request -> Response.json(200, diagnoser.diagnose().toJson()));
        }));
    }

    /** Issue 11 (observe): {@code GET /metrics}, {@code /strata/dashboard}. */
    private static List<ShopPlugin> observability(java.util.function.Supplier<dev.strata.diagnosis.Diagnoser> diagnoser) {
        return List.of(new dev.strata.shop.ShopObservability(
                () -> dev.strata.shop.ShopObservability.verdicts(diagnoser.get())));
    }

    /** Issue 13 (http): per-client rate limit on {@code /checkout}, {@code StrataHttpClient} downstreams. */
    private static List<ShopPlugin> http() {
        return List.of(ShopPlugin.named("http-edge", ShopHttpEdge::install));
    }

    /** Issue 12 (limits): limiters from the config. */
    private static List<ShopPlugin> limits() {
        return List.of();
    }
}
