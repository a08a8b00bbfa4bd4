package dev.strata.cli.shop;

import dev.strata.fault.Fault;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resource.PoolStats;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shop's health, as Kubernetes probes expect it (ARCHITECTURE rule 6): {@code live} is the
 * process serving (never a dependency), {@code ready} is started and not shutting down,
 * {@code dependencies} reports each dependency's breaker, pool and last fault and never decides
 * the other two. An open breaker therefore leaves the shop live and ready: it is degraded by its
 * fallbacks, not dead, and restarting it would not close the breaker sooner.
 */
final class ShopHealth implements AutoCloseable {

    /** The last fault an event reported, per dependency. */
    private record LastFault(Fault fault, long epochMillis) {
    }

    private final ShopDependencies dependencies;
    private final Map<String, LastFault> lastFaults = new ConcurrentHashMap<>();
    private final AutoCloseable subscription;
    private volatile boolean started;
    private volatile boolean shuttingDown;

    ShopHealth(ShopDependencies dependencies, EventBus events) {
        this.dependencies = dependencies;
        this.subscription = events.subscribe(this::onEvent);
    }

    private void onEvent(StrataEvent event) {
        Fault fault = event.fault();
        if (fault != null) {
            lastFaults.put(event.dependency(), new LastFault(fault, event.epochMillis()));
        }
    }

    /** Registers {@code /health/live}, {@code /health/ready} and {@code /health/dependencies}. */
    void mount(Routes routes) {
        routes.get("/health/live", request -> Response.json(200, "{\"status\":\"UP\"}"));
        routes.get("/health/ready", request -> ready()
                ? Response.json(200, "{\"status\":\"READY\"}")
                : Response.json(503, "{\"status\":\"" + (shuttingDown ? "DRAINING" : "STARTING") + "\"}"));
        routes.get("/health/dependencies", request -> Response.json(200, JsonText.write(dependencies())));
    }

    boolean ready() {
        return started && !shuttingDown;
    }

    void started() {
        started = true;
    }

    /** Readiness turns 503 from now on. */
    void shuttingDown() {
        shuttingDown = true;
    }

    /** Per dependency: breaker state, pool stats (the database), the last fault seen. */
    Map<String, Object> dependencies() {
        Map<String, Object> all = new LinkedHashMap<>();
        for (String name : dependencies.pipelines().keySet()) {
            Map<String, Object> one = new LinkedHashMap<>();
            CircuitBreaker breaker = dependencies.breakers().get(name);
            one.put("breaker", breaker == null ? null : breaker.state().name());
            if (name.equals(ShopDependencies.ORDERS_DB)) {
                PoolStats stats = dependencies.database().stats();
                Map<String, Object> pool = new LinkedHashMap<>();
                pool.put("max_size", stats.maxSize());
                pool.put("total", stats.total());
                pool.put("active", stats.active());
                pool.put("idle", stats.idle());
                pool.put("waiting", stats.waiting());
                pool.put("timeouts", stats.timeouts());
                pool.put("stale_detected", stats.staleDetected());
                one.put("pool", pool);
            }
            LastFault last = lastFaults.get(name);
            one.put("last_fault", last == null ? null : last.fault().toString());
            one.put("last_fault_at", last == null ? null : Instant.ofEpochMilli(last.epochMillis()).toString());
            all.put(name, one);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", "UP");
        answer.put("dependencies", all);
        return answer;
    }

    @Override
    public void close() throws Exception {
        subscription.close();
    }
}
