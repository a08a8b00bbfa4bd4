package dev.strata.shop;

import dev.strata.dashboard.Dashboard;
import dev.strata.dashboard.DashboardFeed;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Toxic;
import dev.strata.micrometer.StrataMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The shop's observability plug-in: binds the shop's L4 runtime (every pipeline, breaker,
 * bulkhead, retry budget and pool) and the adaptive limit of the edge's load shedding to a
 * Prometheus registry, serves it at {@code GET /metrics} in Prometheus' text format, and serves
 * the dashboard at {@code /strata/dashboard}.
 */
public final class ShopObservability implements ShopPlugin {

    /** Prometheus' text exposition format. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Supplier<List<Map<String, Object>>> verdicts;

    /** With the diagnosis's verdicts on top of the dashboard, from {@code verdicts} (empty: none). */
    public ShopObservability(Supplier<List<Map<String, Object>>> verdicts) {
        this.verdicts = verdicts == null ? List::of : verdicts;
    }

    @Override
    public String name() {
        return "observability";
    }

    @Override
    public void install(ShopContext shop) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StrataMetrics metrics = new StrataMetrics(registry);
        shop.onClose(metrics);
        // The L4 runtime holds every pipeline, breaker, bulkhead, retry budget and pool of the shop.
        metrics.bind(shop.runtime());
        if (shop.runtime().pools().stream().noneMatch(p -> p == shop.database().pool())) {
            metrics.bind(shop.database().pool());
        }
        // The edge's own limit (load shedding) is not a dependency of the runtime: bound by name.
        shop.edgeLimits().forEach(metrics::bind);
        shop.routes().get("/metrics", request -> new Response(200, PROMETHEUS_TEXT,
                registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of()));

        DashboardFeed feed = DashboardFeed.start(registry, () -> l4(shop), verdicts).endStreamsOnShutdown(shop.runtime());
        shop.onClose(feed);
        Dashboard dashboard = new Dashboard(feed);
        shop.routes().stream("GET", Dashboard.PATH, dashboard::handle);
        shop.routes().stream("GET", Dashboard.PATH + "/*", dashboard::handle);
        shop.announce("dashboard " + shop.uri().resolve(Dashboard.PATH) + " (open it in a browser)");
        shop.announce("metrics " + shop.uri().resolve("/metrics") + " (Prometheus text)");
    }

    /** The diagnosis's verdicts (active, then recovering) as the dashboard shows them; none while there is no diagnoser. */
    public static List<Map<String, Object>> verdicts(dev.strata.diagnosis.Diagnoser diagnoser) {
        if (diagnoser == null) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (dev.strata.diagnosis.Verdict v : diagnoser.diagnose().verdicts()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layer", v.layer().label());
            row.put("dependency", v.dependency());
            row.put("state", v.state().label());
            // what stopped is still shown, but marked, so the top line is read as what is broken now
            row.put("text", (v.active() ? "" : "recovering, last seen " + v.until() + ": ") + v.summary());
            row.put("fix", v.fix());
            out.add(row);
        }
        return out;
    }

    /** The L4 panel's rows: the registry, the configuration, and what the chaos API is doing to it. */
    private static Map<String, Object> l4(ShopContext shop) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("registry", String.join(", ", shop.runtime().dependencies().keySet()));
        dev.strata.application.Health.Probe live = shop.runtime().health().live();
        rows.put("health", "live " + live.status() + (live.reasons().isEmpty() ? "" : " " + live.reasons()));
        rows.put("config", "checkout budget " + shop.config().checkoutBudget().toMillis() + " ms, latencies "
                + shop.config().latencies().entrySet().stream().map(e -> e.getKey() + " " + e.getValue().toMillis() + " ms")
                .toList());
        rows.put("database pool", shop.database().stats().toString());
        List<String> toxics = new ArrayList<>();
        for (ChaosProxy proxy : shop.chaos().proxies()) {
            for (Toxic toxic : proxy.toxics()) {
                toxics.add(proxy.name() + ": " + toxic.type().name().toLowerCase(java.util.Locale.ROOT) + " " + toxic.attributes());
            }
        }
        rows.put("chaos", toxics.isEmpty() ? "none" : String.join("; ", toxics));
        return rows;
    }
}
