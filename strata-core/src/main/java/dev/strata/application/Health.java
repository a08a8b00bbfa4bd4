package dev.strata.application;

import dev.strata.fault.Fault;
import dev.strata.internal.Json;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The three health answers of a {@link Strata} runtime (rule 6: health does not depend on
 * dependencies), as plain objects for any framework; {@link HealthHandlers} serves them over HTTP.
 * <ul>
 *   <li>{@link #live()}: the process can serve: the runtime is not closed and every registered
 *       process-level liveness check passes. Never a dependency's state: a restart does not
 *       repair an open breaker, so an open breaker never fails liveness.</li>
 *   <li>{@link #ready()}: started, not shutting down, and every required pool has proved its
 *       database reachable once (opened at least one connection; with {@code min_idle} 0 a
 *       background probe borrows one) and reached its minimum idle size once since start. A breaker's state and later database outages do not
 *       count: taking every instance out of rotation because a shared dependency is down turns a
 *       partial outage into a total one.</li>
 *   <li>{@link #dependencies()}: per dependency, breaker state, pool stats, bulkhead use, last
 *       fault: informational only.</li>
 * </ul>
 * Every answer is computed on demand from lock-free reads; thread-safe.
 */
public final class Health {

    /** Health bodies: compact; fractions with four decimals, whole numbers without, NaN as null. */
    private static final Json.Style JSON = new Json.Style(Json.decimals(4), false, false);

    /**
     * A probe's answer.
     *
     * @param up whether the probe passes (HTTP 200) or not (503)
     * @param status {@code UP}, or why not: {@code DOWN}, {@code STARTING}, {@code DRAINING}
     * @param reasons what keeps it down, empty when up
     */
    public record Probe(boolean up, String status, List<String> reasons) {
        public Probe {
            reasons = List.copyOf(reasons);
        }

        /** {@code {"status":"UP"}} or {@code {"status":"DRAINING","reasons":["..."]}}. */
        public String toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("status", status);
            if (!reasons.isEmpty()) {
                json.put("reasons", reasons);
            }
            return Json.write(json, JSON);
        }
    }

    /**
     * One dependency's state.
     *
     * @param name the dependency
     * @param breakerState the breaker's state, or null without a breaker
     * @param breakerFailureRate the breaker's current failure rate (0..1), or -1 without a breaker
     * @param pool the pool's stats, or null when the dependency has no pool yet
     * @param bulkheadInUse calls running in the bulkhead, or -1 without one
     * @param bulkheadMax the bulkhead's size, or -1 without one
     * @param retryBudgetAvailable retries the budget allows now, or -1 without one
     * @param lastFault the last fault reported by any of its components, or null
     * @param lastFaultMillis when, epoch ms; 0 if never
     */
    public record DependencyHealth(String name, CircuitBreaker.State breakerState, double breakerFailureRate,
                                   PoolStats pool, int bulkheadInUse, int bulkheadMax, double retryBudgetAvailable,
                                   Fault lastFault, long lastFaultMillis) {
    }

    private final Strata runtime;

    Health(Strata runtime) {
        this.runtime = runtime;
    }

    /** Liveness: the process can serve. */
    public Probe live() {
        if (runtime.state() == Strata.State.CLOSED) {
            return new Probe(false, "DOWN", List.of("the Strata runtime is closed"));
        }
        List<String> failing = new ArrayList<>();
        for (Map.Entry<String, BooleanSupplier> check : runtime.livenessChecks()) {
            boolean ok;
            try {
                ok = check.getValue().getAsBoolean();
            } catch (RuntimeException failure) {
                ok = false;
            }
            if (!ok) {
                failing.add("liveness check '" + check.getKey() + "' failed");
            }
        }
        return failing.isEmpty() ? new Probe(true, "UP", List.of()) : new Probe(false, "DOWN", failing);
    }

    /** Readiness: send traffic here. Marks the runtime as probed, so shutdown pauses for load balancers. */
    public Probe ready() {
        runtime.readinessProbed();
        Strata.State state = runtime.state();
        switch (state) {
            case NEW, STARTING:
                return new Probe(false, "STARTING", List.of("the runtime is " + state + "; call start()"));
            case DRAINING, REFUSING, STOPPING, CLOSED:
                return new Probe(false, "DRAINING", List.of("shutting down (" + state + ")"));
            default:
                break;
        }
        List<String> reasons = new ArrayList<>();
        for (Dependency d : runtime.dependencies().values()) {
            if (!d.required() || d.dataSource == null || d.warmedOnce) {
                continue;
            }
            Pool<?> pool = d.dataSource.pool();
            PoolStats stats = pool.stats();
            if (!d.provedReachable()) {
                reasons.add("pool " + d.name() + " has not reached its database yet (" + stats.createFailures()
                        + " failed connection attempts)");
            } else if (stats.total() >= pool.config().minIdle()) {
                d.warmedOnce = true; // once initialised, later outages are reported under dependencies, not here
            } else {
                reasons.add("pool " + d.name() + " has " + stats.total() + " of its minimum " + pool.config().minIdle()
                        + " connections");
            }
        }
        return reasons.isEmpty() ? new Probe(true, "UP", List.of()) : new Probe(false, "DOWN", reasons);
    }

    /** Every dependency's state, in declaration order; never creates a pool. */
    public List<DependencyHealth> dependencies() {
        List<DependencyHealth> all = new ArrayList<>();
        for (Dependency d : runtime.dependencies().values()) {
            CircuitBreaker breaker = d.circuitBreaker().orElse(null);
            CircuitBreaker.Metrics metrics = breaker == null ? null : breaker.metrics();
            PoolStats pool = d.dataSource == null ? null : d.dataSource.stats();
            all.add(new DependencyHealth(d.name(), metrics == null ? null : metrics.state(),
                    metrics == null ? -1 : metrics.failureRate(), pool,
                    d.bulkhead().map(b -> b.inUse()).orElse(-1), d.bulkhead().map(b -> b.maxConcurrentCalls()).orElse(-1),
                    d.retryBudget().map(b -> b.available()).orElse(-1.0), d.lastFault().orElse(null), d.lastFaultMillis()));
        }
        return all;
    }

    /** {@link #dependencies()} as a JSON object keyed by dependency name. */
    public String dependenciesJson() {
        Map<String, Object> dependencies = new LinkedHashMap<>();
        for (DependencyHealth d : dependencies()) {
            Map<String, Object> json = new LinkedHashMap<>();
            if (d.breakerState() != null) {
                json.put("breaker", d.breakerState().name());
                json.put("failure_rate", d.breakerFailureRate());
            }
            if (d.pool() != null) {
                PoolStats p = d.pool();
                json.put("pool", ordered("max", p.maxSize(), "total", p.total(), "active", p.active(),
                        "idle", p.idle(), "waiting", p.waiting(), "timeouts", p.timeouts(),
                        "stale_detected", p.staleDetected()));
            }
            if (d.bulkheadMax() >= 0) {
                json.put("bulkhead", ordered("in_use", d.bulkheadInUse(), "max", d.bulkheadMax()));
            }
            if (d.retryBudgetAvailable() >= 0) {
                json.put("retry_budget_available", d.retryBudgetAvailable());
            }
            Dependency dependency = runtime.dependencies().get(d.name());
            String limiterMode = dependency == null ? null : limiterMode(dependency);
            if (limiterMode != null) { // a shared limiter: which store decides now (never its URI: no password here)
                json.put("rate_limit", ordered("mode", Secret.maskUserInfo(limiterMode)));
            }
            if (d.lastFault() != null) {
                json.put("last_fault", ordered("kind", d.lastFault().kind().qualifiedName(),
                        "detail", String.valueOf(d.lastFault().detail()), "at_epoch_ms", d.lastFaultMillis()));
            }
            dependencies.put(d.name(), json);
        }
        return Json.write(ordered("status", runtime.state().name(), "dependencies", dependencies), JSON);
    }

    /** The mode of the dependency's shared rate limiter (its own, or one attached to its pipeline), or null. */
    private static String limiterMode(Dependency dependency) {
        List<dev.strata.ratelimit.RateLimiter> limiters = new ArrayList<>();
        dependency.rateLimiter().ifPresent(limiters::add);
        limiters.addAll(Inventory.attachments(List.of(dependency), dev.strata.ratelimit.RateLimiter.class));
        for (dev.strata.ratelimit.RateLimiter l : limiters) {
            if (l.mode() != null) {
                return l.mode();
            }
        }
        return null;
    }

    /** A JSON object of alternating keys and values, in that order. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
