package dev.strata.application;

import dev.strata.application.ReloadReport.Change;
import dev.strata.application.ReloadReport.Refusal;
import dev.strata.internal.Durations;
import dev.strata.pool.PoolConfig;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resilience.Timeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import dev.strata.application.Strata.State;
import java.lang.System.Logger.Level;
/**
 * The work of {@link Strata#reload(StrataBuilder)}: reads what one dependency's settings mean, key
 * by key (each policy built once on the side, as the validator does), compares the running
 * settings with the new ones, and applies the changes that may be made while calls run.
 *
 * <p>What may change is the policies' numbers: the deadline, the per-attempt timeout, the retry
 * (attempts, backoff, jitter, maximum duration), the breaker's thresholds and waits, the
 * bulkhead's limit and wait, the retry budget's share and floor. Everything else needs a restart:
 * a dependency added or removed, a policy switched on or off, the breaker's mode and window size,
 * the budget's window, a hedge, the pool (sizes and every other setting), the JDBC URL, user,
 * password and properties, the HTTP base URL, readiness and fallback kinds, and the runtime-wide
 * settings. Code-only parts (attachment factories, fallbacks, interceptors, classifiers, a rate
 * limiter or pipeline customizer) are not compared: the running ones stay.
 */
final class Reloader {

    static final String OFF = "off";
    static final String ON = "on";

    /** Keys whose change is applied while the runtime runs. */
    static final Set<String> RELOADABLE = Set.of("deadline", "timeout",
            "retry.attempts", "retry.backoff", "retry.jitter", "retry.max_duration",
            "retry.budget.percent", "retry.budget.min_per_second",
            "breaker.failure_threshold", "breaker.minimum_calls", "breaker.failure_rate", "breaker.slow_call_duration",
            "breaker.slow_call_rate", "breaker.half_open_permits", "breaker.open_wait", "breaker.open_wait_multiplier",
            "breaker.max_open_wait", "breaker.open_wait_jitter", "breaker.max_half_open_duration",
            "bulkhead.max_concurrent", "bulkhead.max_wait");

    private Reloader() {
    }

    /** A setting's value: what is compared, and what is shown (a secret is compared, never shown). */
    record Value(Object compared, String shown) {
        static Value of(Object value) {
            return new Value(value, String.valueOf(value));
        }
    }

    /** What one dependency's settings mean, with the policies built from them (to apply). */
    static final class Reading {
        final DependencySettings settings;
        final Map<String, Value> values = new LinkedHashMap<>();
        Retry retry;

        Reading(DependencySettings settings) {
            this.settings = settings;
        }

        void put(String key, Object compared, String shown) {
            values.put(key, new Value(compared, shown));
        }

        void put(String key, Object value) {
            values.put(key, Value.of(value));
        }
    }

    /** Reads {@code s} key by key. */
    static Reading read(Strata runtime, DependencySettings s) {
        Reading r = new Reading(s);
        String name = s.name();
        r.put("deadline", duration(s.deadline));
        r.put("timeout", duration(s.timeout));
        if (s.retry != null) {
            Retry retry = s.retry.apply(Retry.builder()).build();
            r.retry = retry;
            r.put("retry", ON);
            r.put("retry.attempts", retry.maxAttempts());
            r.put("retry.backoff", retry.backoff().toString());
            r.put("retry.jitter", retry.jitter().toString().toLowerCase(Locale.ROOT));
            r.put("retry.max_duration", duration(retry.maxDuration()));
        } else {
            r.put("retry", OFF);
        }
        if (s.retryBudget != null && (s.retry != null || s.hedge != null)) {
            RetryBudget budget = s.retryBudget.apply(RetryBudget.builder()).name(name).clock(runtime.clock()).build();
            r.put("retry.budget", ON);
            r.put("retry.budget.percent", percent(budget.retryPercent()));
            r.put("retry.budget.min_per_second", budget.minRetriesPerSecond());
            r.put("retry.budget.ttl", duration(budget.ttl()));
        } else {
            r.put("retry.budget", OFF);
        }
        if (s.breaker != null) {
            CircuitBreaker.Settings b = s.breaker.apply(CircuitBreaker.builder(name)).clock(runtime.clock()).build().settings();
            r.put("breaker", ON);
            r.put("breaker.mode", b.mode().toString().toLowerCase(Locale.ROOT));
            r.put("breaker.window_size", b.windowSize());
            r.put("breaker.failure_threshold", b.failureThreshold());
            r.put("breaker.minimum_calls", b.minimumCalls());
            r.put("breaker.failure_rate", percent(b.failureRate()));
            r.put("breaker.slow_call_duration", duration(b.slowCallDuration()));
            r.put("breaker.slow_call_rate", percent(b.slowCallRate()));
            r.put("breaker.half_open_permits", b.halfOpenPermits());
            r.put("breaker.open_wait", duration(b.openWait()));
            r.put("breaker.open_wait_multiplier", b.openWaitMultiplier());
            r.put("breaker.max_open_wait", duration(b.maxOpenWait()));
            r.put("breaker.open_wait_jitter", percent(b.openWaitJitter()));
            r.put("breaker.max_half_open_duration", duration(b.maxHalfOpenDuration()));
        } else {
            r.put("breaker", OFF);
        }
        if (s.bulkhead != null) {
            Bulkhead b = s.bulkhead.apply(Bulkhead.builder(name)).clock(runtime.clock()).build();
            r.put("bulkhead", ON);
            r.put("bulkhead.max_concurrent", b.maxConcurrentCalls());
            r.put("bulkhead.max_wait", duration(b.maxWait()));
        } else {
            r.put("bulkhead", OFF);
        }
        r.put("adaptive_limit", s.adaptiveLimit == null ? OFF : ON);
        r.put("throttle", s.throttle == null ? OFF : ON);
        r.put("hedge", s.hedge == null ? OFF : s.hedge.toString());
        r.put("rate_limit", s.rateLimiter == null ? OFF : s.rateLimiter.name());
        r.put("fallback", s.fallbackKinds.stream().map(k -> k.code()).toList().toString());
        r.put("required", s.required);
        r.put("http.base_url", s.httpBaseUrl == null ? "none" : Secret.maskUserInfo(s.httpBaseUrl.toString()));
        r.put("jdbc.url", s.jdbcUrl == null ? "none" : Secret.maskUserInfo(s.jdbcUrl));
        if (s.jdbcUrl != null) {
            r.put("jdbc.user", s.user == null ? "none" : s.user);
            r.put("jdbc.password", s.password == null ? null : s.password.reveal(), s.password == null ? "none" : Secret.MASK);
            r.put("jdbc.validation_query", s.validationQuery == null ? "none" : s.validationQuery);
            r.put("jdbc.properties", Map.copyOf(s.driverProperties), s.driverProperties.keySet().toString());
            r.put("jdbc.max_connections", s.maxConnections);
            PoolConfig.Builder pb = PoolConfig.builder(name);
            PoolConfig p = (s.pool == null ? pb : s.pool.apply(pb)).build();
            r.put("pool.max_size", p.maxSize());
            r.put("pool.min_idle", p.minIdle());
            r.put("pool.acquisition_timeout", duration(p.acquisitionTimeout()));
            r.put("pool.validation", p.validateIdle());
            r.put("pool.validation_bypass", duration(p.validationBypass()));
            r.put("pool.validation_timeout", duration(p.validationTimeout()));
            r.put("pool.idle_timeout", duration(p.idleTimeout()));
            r.put("pool.max_lifetime", duration(p.maxLifetime()));
            r.put("pool.lifetime_jitter", percent(p.lifetimeJitter()));
            r.put("pool.keepalive", duration(p.keepaliveInterval()));
            r.put("pool.leak_detection", duration(p.leakDetectionThreshold()));
            r.put("pool.creation_concurrency", p.creationConcurrency());
            r.put("pool.housekeeping_interval", duration(p.housekeepingInterval()));
        }
        return r;
    }

    /** Compares one dependency's running reading with its new one, adding what changed or is refused. */
    static void compare(String dependency, Reading running, Reading next, List<Change> changes, List<Refusal> refusals) {
        Set<String> keys = new LinkedHashSet<>(running.values.keySet());
        keys.addAll(next.values.keySet());
        for (String key : keys) {
            Value from = running.values.getOrDefault(key, Value.of(OFF));
            Value to = next.values.getOrDefault(key, Value.of(OFF));
            if (Objects.equals(from.compared(), to.compared()) || underSwitchedPolicy(key, running, next)) {
                continue;
            }
            String why = whyRestart(key, from, to);
            if (why == null) {
                changes.add(new Change(dependency, key, from.shown(), to.shown()));
            } else {
                refusals.add(new Refusal(dependency, key, from.shown(), to.shown(), why));
            }
        }
    }

    /** Keys whose value says whether a policy is on ({@code on} / {@code off}). */
    private static final List<String> SWITCHES = List.of("retry", "retry.budget", "breaker", "bulkhead");

    /** Whether {@code key} belongs to a policy switched on or off: the switch itself is what is refused. */
    private static boolean underSwitchedPolicy(String key, Reading running, Reading next) {
        for (String p : SWITCHES) {
            if (key.startsWith(p + ".") && !Objects.equals(running.values.get(p), next.values.get(p))) {
                return true;
            }
        }
        return false;
    }

    /** Why a change of {@code key} needs a restart, or null when it may be applied. */
    private static String whyRestart(String key, Value from, Value to) {
        if (key.equals("breaker.slow_call_duration") && (OFF.equals(from.shown()) || OFF.equals(to.shown()))) {
            return "measuring slow calls cannot be switched on or off while the breaker runs";
        }
        if (RELOADABLE.contains(key)) {
            return null;
        }
        if (key.startsWith("pool.")) {
            return "a pool's size and settings are fixed while it holds connections";
        }
        if (key.startsWith("jdbc.")) {
            return "what a pool connects to is fixed while it holds connections";
        }
        if (key.equals("http.base_url")) {
            return "the HTTP client is built on its base URL";
        }
        if (key.equals("breaker.mode") || key.equals("breaker.window_size")) {
            return "the breaker's window is kept across a reload, so its shape cannot change";
        }
        if (key.equals("hedge")) {
            return "a hedge is part of the pipeline's shape";
        }
        if (key.equals("fallback")) {
            return "the fault kinds a fallback answers are fixed when the dependency is built";
        }
        if (key.equals("required")) {
            return "what readiness waits for is fixed when the runtime is built";
        }
        if (key.equals("retry.budget.ttl")) {
            return "the budget's window is kept across a reload, so its length cannot change";
        }
        if (SWITCHES.contains(key) || OFF.equals(from.shown()) || OFF.equals(to.shown())) {
            return "switching a policy on or off changes the pipeline's shape";
        }
        return "not reloadable";
    }

    /** Applies the changes of one dependency (already checked: only reloadable keys changed). */
    static void apply(Dependency d, Reading next, List<Change> changes) {
        Set<String> keys = new LinkedHashSet<>();
        for (Change c : changes) {
            if (c.dependency().equals(d.name())) {
                keys.add(c.key());
            }
        }
        if (keys.isEmpty()) {
            return;
        }
        DependencySettings s = next.settings;
        if (keys.contains("deadline") || keys.contains("timeout") || keys.stream().anyMatch(k -> k.startsWith("retry.")
                && !k.startsWith("retry.budget."))) {
            d.pipeline().retune(new Pipeline.Tuning(s.deadline, s.timeout == null ? null : Timeout.of(s.timeout),
                    next.retry));
            d.retune(next.retry);
        }
        if (keys.stream().anyMatch(k -> k.startsWith("breaker."))) {
            d.circuitBreaker().orElseThrow().reconfigure(s.breaker.apply(CircuitBreaker.builder(d.name())));
        }
        if (keys.stream().anyMatch(k -> k.startsWith("bulkhead."))) {
            Bulkhead probe = s.bulkhead.apply(Bulkhead.builder(d.name())).build();
            d.bulkhead().orElseThrow().reconfigure(probe.maxConcurrentCalls(), probe.maxWait());
        }
        if (keys.stream().anyMatch(k -> k.startsWith("retry.budget."))) {
            RetryBudget probe = s.retryBudget.apply(RetryBudget.builder()).build();
            d.retryBudget().orElseThrow().reconfigure(probe.retryPercent(), probe.minRetriesPerSecond());
        }
    }

    /** The runtime-wide settings of a builder that a reload compares (all need a restart). */
    static Map<String, Value> runtimeValues(StrataBuilder b) {
        Map<String, Value> v = new LinkedHashMap<>();
        v.put("strict", Value.of(b.strictMode()));
        v.put("shutdown.pause", Value.of(duration(b.shutdownPause)));
        v.put("shutdown.budget", Value.of(duration(b.shutdownBudget)));
        v.put("start_timeout", Value.of(duration(b.startTimeoutValue())));
        v.put("connection_budget.instances", Value.of(b.budget.instances()));
        v.put("connection_budget.headroom", Value.of(percent(b.budget.headroom())));
        v.put("connection_budget.max_connections", Value.of(b.budget.maxConnections()));
        return v;
    }

    static void compareRuntime(Map<String, Value> running, Map<String, Value> next, List<Refusal> refusals) {
        running.forEach((key, from) -> {
            Value to = next.get(key);
            if (!Objects.equals(from.compared(), to.compared())) {
                refusals.add(new Refusal(Strata.RUNTIME, key, from.shown(), to.shown(),
                        "runtime-wide settings are read once, when the runtime is built"));
            }
        });
    }

    private static String duration(Duration d) {
        return d == null ? "none" : Durations.format(d);
    }

    private static String percent(double fraction) {
        double p = fraction * 100;
        return (p == Math.rint(p) ? String.valueOf((long) p) : String.format(Locale.ROOT, "%.2f", p)) + "%";
    }

    /** The work of {@link Strata#reload(StrataBuilder, List)}; the caller holds the runtime's reload lock. */
    static ReloadReport reload(Strata runtime, Map<String, Value> runtimeSettings, StrataBuilder next,
            List<ReloadReport.Refusal> alsoRefused) {
        Objects.requireNonNull(next, "next");
        List<ReloadReport.Refusal> callers = List.copyOf(alsoRefused);
        Map<String, DependencySettings> settings = new LinkedHashMap<>();
        List<InvalidConfigurationException.Problem> problems = StrataValidator.check(next, settings);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        State now = runtime.state();
        if (now.compareTo(State.REFUSING) >= 0) {
            throw new ShuttingDownException(Strata.RUNTIME, now);
        }
        List<ReloadReport.Change> changes = new ArrayList<>();
        List<ReloadReport.Refusal> refusals = new ArrayList<>();
        compareRuntime(runtimeSettings, runtimeValues(next), refusals);
        refusals.addAll(callers);
        for (String name : runtime.dependencies().keySet()) {
            if (!settings.containsKey(name)) {
                refusals.add(new ReloadReport.Refusal(name, "(dependency)", "configured", "removed",
                        "a dependency's pool, pipeline and clients live as long as the runtime"));
            }
        }
        Map<String, Reading> readings = new LinkedHashMap<>();
        for (DependencySettings s : settings.values()) {
            Dependency d = runtime.dependencies().get(s.name());
            if (d == null) {
                refusals.add(new ReloadReport.Refusal(s.name(), "(dependency)", "absent", "added",
                        "a dependency's pool, pipeline and clients are made when the runtime is built"));
                continue;
            }
            Reading running = d.reading != null ? d.reading : read(runtime, d.settings);
            Reading read = read(runtime, s);
            compare(s.name(), running, read, changes, refusals);
            readings.put(s.name(), read);
        }
        ReloadReport report = new ReloadReport(changes, refusals);
        if (!report.applied()) {
            runtime.publish(Strata.RUNTIME, "runtime.reload-refused", Level.WARNING, report.summary());
            return report;
        }
        readings.forEach((name, read) -> {
            Dependency d = runtime.dependencies().get(name);
            apply(d, read, changes);
            d.reading = read;
        });
        runtime.publish(Strata.RUNTIME, "runtime.reloaded", Level.INFO, report.summary());
        return report;
    }
}
