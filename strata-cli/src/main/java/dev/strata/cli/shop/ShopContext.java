package dev.strata.cli.shop;

import dev.strata.chaos.ChaosServer;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resource.StrataDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a {@link ShopPlugin} sees of the running shop: its route table, its event bus, its
 * dependencies' Strata objects, the order service, the chaos server and its configuration.
 */
public final class ShopContext {

    private final Routes routes;
    private final EventBus events;
    private final ShopDependencies dependencies;
    private final ShopService service;
    private final ChaosServer chaos;
    private final ShopConfig config;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    ShopContext(Routes routes, EventBus events, ShopDependencies dependencies, ShopService service, ChaosServer chaos,
                ShopConfig config) {
        this.routes = routes;
        this.events = events;
        this.dependencies = dependencies;
        this.service = service;
        this.chaos = chaos;
        this.config = config;
    }

    /** The route table: add endpoints and filters here (only during {@link ShopPlugin#install}). */
    public Routes routes() {
        return routes;
    }

    /** The bus every dependency of the shop publishes its events to. */
    public EventBus events() {
        return events;
    }

    /** The order service behind {@code /catalog}, {@code /checkout} and {@code /recommendations}. */
    public ShopService service() {
        return service;
    }

    /** The pooled PostgreSQL ({@code orders-db}). */
    public StrataDataSource database() {
        return dependencies.database();
    }

    /** Each dependency's pipeline, by dependency name. */
    public Map<String, Pipeline> pipelines() {
        return dependencies.pipelines();
    }

    /** Each dependency's circuit breaker, by dependency name. */
    public Map<String, CircuitBreaker> breakers() {
        return dependencies.breakers();
    }

    /** Each dependency's bulkhead, by dependency name. */
    public Map<String, Bulkhead> bulkheads() {
        return dependencies.bulkheads();
    }

    /** The chaos API's server, with one proxy per dependency, named as the dependency. */
    public ChaosServer chaos() {
        return chaos;
    }

    /** The shop's own settings. */
    public ShopConfig config() {
        return config;
    }

    /** Closes {@code resource} at shutdown, after the server stopped and before the dependencies close. */
    public void onClose(AutoCloseable resource) {
        closeables.add(Args.nonNull("resource", resource));
    }

    /** What plug-ins registered, in registration order. */
    List<AutoCloseable> closeables() {
        return List.copyOf(closeables);
    }
}
