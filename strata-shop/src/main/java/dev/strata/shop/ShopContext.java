package dev.strata.shop;

import dev.strata.config.ConfigValues;

import dev.strata.application.Strata;
import dev.strata.chaos.ChaosServer;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.jdbc.StrataDataSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link ShopPlugin} sees of the running shop: its route table, its {@link Strata}
 * runtime (every dependency's pipeline, breaker, bulkhead, pool, HTTP client and the event bus),
 * the order service, the chaos server and the shop's own settings.
 */
public final class ShopContext {

    private final Routes routes;
    private final Strata runtime;
    private final ShopService service;
    private final ChaosServer chaos;
    private final ShopConfig config;
    private final ConfigValues configRoot;
    private final List<Map.Entry<String, AutoCloseable>> closeables = new ArrayList<>();
    private final List<String> announcements = new ArrayList<>();
    private final List<AdaptiveLimit> edgeLimits = new ArrayList<>();
    private final java.net.URI uri;
    private String owner = "shop";

    ShopContext(Routes routes, Strata runtime, ShopService service, ChaosServer chaos, ShopConfig config,
                ConfigValues configRoot, java.net.URI uri) {
        this.uri = uri;
        this.configRoot = configRoot;
        this.routes = routes;
        this.runtime = runtime;
        this.service = service;
        this.chaos = chaos;
        this.config = config;
    }

    /** The route table: add endpoints and filters here (only during {@link ShopPlugin#install}). */
    public Routes routes() {
        return routes;
    }

    /**
     * The shop's Strata runtime, started: {@code runtime().dependency("payments")}, its
     * {@code breakers()}, {@code pools()}, {@code health()}, ... Read it; do not shut it down.
     */
    public Strata runtime() {
        return runtime;
    }

    /** The runtime's bus, on which every dependency of the shop publishes its events. */
    public EventBus events() {
        return runtime.events();
    }

    /** The pooled PostgreSQL ({@code orders-db}): {@code runtime().dependency("orders-db").dataSource()}. */
    public StrataDataSource database() {
        return runtime.dependency(ShopFile.ORDERS_DB).dataSource();
    }

    /** Each dependency's pipeline, by dependency name, in declaration order. */
    public Map<String, Pipeline> pipelines() {
        Map<String, Pipeline> all = new LinkedHashMap<>();
        runtime.dependencies().forEach((name, dependency) -> all.put(name, dependency.pipeline()));
        return Collections.unmodifiableMap(all);
    }

    /** Each dependency's circuit breaker (those that have one), by dependency name. */
    public Map<String, CircuitBreaker> breakers() {
        Map<String, CircuitBreaker> all = new LinkedHashMap<>();
        runtime.dependencies().forEach((name, dependency) -> dependency.circuitBreaker().ifPresent(b -> all.put(name, b)));
        return Collections.unmodifiableMap(all);
    }

    /** Each dependency's bulkhead (those that have one), by dependency name. */
    public Map<String, Bulkhead> bulkheads() {
        Map<String, Bulkhead> all = new LinkedHashMap<>();
        runtime.dependencies().forEach((name, dependency) -> dependency.bulkhead().ifPresent(b -> all.put(name, b)));
        return Collections.unmodifiableMap(all);
    }

    /** The order service behind {@code /catalog}, {@code /checkout} and {@code /recommendations}. */
    public ShopService service() {
        return service;
    }

    /** The chaos API's server, with one proxy per dependency, named as the dependency. */
    public ChaosServer chaos() {
        return chaos;
    }

    /**
     * The root values of the shop's configuration file, validated, for plug-ins that read their
     * own sections (e.g. {@code http.trust_proxy} and {@code http.rate_limit}).
     */
    public ConfigValues configRoot() {
        return configRoot;
    }

    /** The shop's own settings (the {@code shop:} section of its file). */
    public ShopConfig config() {
        return config;
    }

    /**
     * Closes {@code resource} at shutdown, once in-flight requests finished and the pools closed,
     * before the HTTP server and the rest of what the shop started; in reverse order of registration.
     */
    public void onClose(AutoCloseable resource) {
        closeables.add(Map.entry("plug-in " + owner + ": " + Args.nonNull("resource", resource).getClass().getSimpleName(),
                resource));
    }

    /**
     * Makes a limit the shop's own edge enforces (not one of the runtime's dependencies) known to the
     * plug-ins installed after this one, so that {@code /metrics} and the dashboard show it.
     */
    public void publishEdgeLimit(AdaptiveLimit limit) {
        edgeLimits.add(Args.nonNull("limit", limit));
    }

    /** The limits earlier plug-ins enforce at the shop's edge, in the order they were published. */
    public List<AdaptiveLimit> edgeLimits() {
        return List.copyOf(edgeLimits);
    }

    /** The shop's base URL, {@code http://127.0.0.1:PORT} (it listens once every plug-in is installed). */
    public java.net.URI uri() {
        return uri;
    }

    /**
     * A line for the user, printed at start as {@code shop: LINE} after the routes and before
     * {@code shop listening on ...}: where to look, what a setting means for them.
     */
    public void announce(String line) {
        announcements.add(Args.nonNull("line", line));
    }

    /** What plug-ins announced, in order. */
    List<String> announcements() {
        return List.copyOf(announcements);
    }

    /** The plug-in installing now, for the shutdown log. */
    void owner(String name) {
        this.owner = name;
    }

    /** What plug-ins registered, described, in registration order. */
    List<Map.Entry<String, AutoCloseable>> closeables() {
        return List.copyOf(closeables);
    }
}
