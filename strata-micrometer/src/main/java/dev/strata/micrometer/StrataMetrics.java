package dev.strata.micrometer;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.application.Dependency;
import dev.strata.application.Strata;
import dev.strata.http.HttpRateLimit;
import dev.strata.observe.OutcomeListener;
import dev.strata.call.Criticality;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.EvictionReason;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Binds Strata's policies and pools to a Micrometer {@link MeterRegistry}. Every meter is named
 * {@code strata.*} and tagged {@code dependency} (the policy's or pool's name) and {@code layer}
 * ({@code L1}..{@code L4}, or {@code remote} for a fault the dependency reported); meters that
 * count several kinds of one thing add a {@code kind} tag, in the spirit of Resilience4j's and
 * HikariCP's Micrometer meters. {@code docs/metrics.md} lists every meter.
 *
 * <pre>{@code
 * StrataMetrics metrics = new StrataMetrics(registry);
 * metrics.bind(pipeline).bind(breaker).bind(bulkhead).bind("payments", budget).bind(pool);
 * ...
 * metrics.close(); // unbinds and removes every meter it registered
 * }</pre>
 *
 * <p>Pipelines and breakers report outcomes through their {@code listen} hook: counters and
 * timers are looked up once at binding, so a bound call records into existing meters without a
 * registry look-up. Bulkheads, budgets and pools are read as gauges and function counters when
 * the registry is scraped, so binding them adds nothing to their hot paths at all. Thread-safe.
 */
public final class StrataMetrics implements AutoCloseable {

    /** {@code strata.calls}: timer of logical calls, tagged {@code kind} by outcome and retry. */
    public static final String CALLS = "strata.calls";
    /** {@code strata.calls.rejected}: calls refused before their first attempt. */
    public static final String CALLS_REJECTED = "strata.calls.rejected";
    /** {@code strata.attempts}: attempts made by logical calls (divide by {@code strata.calls} for attempts per call). */
    public static final String ATTEMPTS = "strata.attempts";
    /** {@code strata.faults}: failed attempts by the fault's layer and kind. */
    public static final String FAULTS = "strata.faults";
    /** {@code strata.fallbacks}: fallbacks invoked, by reason and whether one answered. */
    public static final String FALLBACKS = "strata.fallbacks";

    private final MeterRegistry registry;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Meter> meters = new ArrayList<>();
    private final List<AutoCloseable> handles = new ArrayList<>();
    private boolean closed;

    /** Meters go to {@code registry}; nothing is registered until something is bound. */
    public StrataMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The registry the meters go to. */
    public MeterRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------ L4

    /**
     * Binds everything a runtime holds now: each dependency's pipeline, breaker, bulkhead and
     * retry budget, every pool created so far (call it after {@link Strata#start()} so the pools
     * exist; it never creates one), and the runtime's own gauges: {@code strata.runtime.state}
     * (one per state, 1 for the current one), {@code strata.runtime.dependencies} and
     * {@code strata.runtime.in.flight}, tagged {@code layer=L4}.
     */
    public StrataMetrics bind(Strata runtime) {
        Objects.requireNonNull(runtime, "runtime");
        Tags l4 = Tags.of("layer", Layer.APPLICATION.label());
        for (Strata.State state : Strata.State.values()) {
            track(Gauge.builder("strata.runtime.state", runtime, r -> r.state() == state ? 1 : 0).tags(l4)
                    .tag("state", tagValue(state.name())).description("1 when the runtime is in this state, else 0")
                    .register(registry));
        }
        track(Gauge.builder("strata.runtime.dependencies", runtime, r -> r.dependencies().size()).tags(l4)
                .description("dependencies in the registry").register(registry));
        track(Gauge.builder("strata.runtime.in.flight", runtime, Strata::inFlight).tags(l4)
                .description("requests admitted and not finished").register(registry));
        for (Dependency d : runtime.dependencies().values()) {
            bind(d.pipeline());
            d.circuitBreaker().ifPresent(this::bind);
            d.bulkhead().ifPresent(this::bind);
            d.adaptiveLimit().ifPresent(this::bind);
            d.throttle().ifPresent(this::bind);
            d.retryBudget().ifPresent(b -> bind(d.name(), b));
        }
        java.util.Set<Pool<?>> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Pool<?> pool : runtime.pools()) {
            if (seen.add(pool)) {
                bind(pool);
            }
        }
        return this;
    }

    // ------------------------------------------------------------------ L3

    /**
     * Meters every logical call of the pipeline: {@code strata.calls} (timer, {@code kind} =
     * {@code successful_without_retry | successful_with_retry | failed_without_retry |
     * failed_with_retry}), {@code strata.calls.rejected} ({@code kind} = the refusal's fault kind:
     * {@code circuit_open}, {@code bulkhead_full}, {@code throttled}, ...), {@code strata.attempts},
     * {@code strata.faults} per failed attempt and {@code strata.fallbacks}.
     */
    public StrataMetrics bind(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        PipelineMeters listener = new PipelineMeters(pipeline.name());
        handle(pipeline.listen(listener));
        return this;
    }

    /**
     * Meters a breaker: {@code strata.circuitbreaker.state} (one gauge per state, 1 for the
     * current one), {@code .transitions} ({@code from}, {@code to}), {@code .failure.rate} and
     * {@code .slow.call.rate} (0..1), {@code .buffered.calls} and {@code .not.permitted.calls}.
     */
    public StrataMetrics bind(CircuitBreaker breaker) {
        Objects.requireNonNull(breaker, "circuitBreaker");
        Tags tags = tags(breaker.name(), Layer.RESILIENCE);
        for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
            track(Gauge.builder("strata.circuitbreaker.state", breaker, b -> b.state() == state ? 1 : 0)
                    .tags(tags).tag("state", tagValue(state.name()))
                    .description("1 when the breaker is in this state, else 0").register(registry));
        }
        track(Gauge.builder("strata.circuitbreaker.failure.rate", breaker, b -> b.metrics().failureRate())
                .tags(tags).baseUnit("ratio").description("failed / buffered calls in the current window").register(registry));
        track(Gauge.builder("strata.circuitbreaker.slow.call.rate", breaker, b -> b.metrics().slowCallRate())
                .tags(tags).baseUnit("ratio").description("slow / buffered calls in the current window").register(registry));
        track(Gauge.builder("strata.circuitbreaker.buffered.calls", breaker, b -> b.metrics().bufferedCalls())
                .tags(tags).description("calls in the current window").register(registry));
        track(FunctionCounter.builder("strata.circuitbreaker.not.permitted.calls", breaker, b -> b.metrics().notPermittedCalls())
                .tags(tags).description("calls the breaker refused").register(registry));
        handle(breaker.listen(new OutcomeListener() {
            @Override
            public void stateChanged(String dependency, String from, String to) {
                // Transitions are rare: a registry look-up per transition costs nothing that matters.
                track(Counter.builder("strata.circuitbreaker.transitions").tags(tags)
                        .tag("from", tagValue(from)).tag("to", tagValue(to))
                        .description("state changes of the breaker").register(registry)).increment();
            }
        }));
        return this;
    }

    /**
     * Meters a server-side request limit: {@code strata.http.ratelimit.requests} by {@code outcome}
     * ({@code allowed}, {@code limited}, {@code failed_open}, {@code failed_closed}); a rising
     * {@code failed_open} means requests pass undecided because the limiter does not answer.
     */
    public StrataMetrics bind(HttpRateLimit limit) {
        Objects.requireNonNull(limit, "limit");
        Tags tags = tags(limit.limiter().policy().name(), Layer.RESOURCE);
        track(FunctionCounter.builder("strata.http.ratelimit.requests", limit, HttpRateLimit::allowed)
                .tags(tags.and("outcome", "allowed")).description("requests admitted by the limiter").register(registry));
        track(FunctionCounter.builder("strata.http.ratelimit.requests", limit, HttpRateLimit::limited)
                .tags(tags.and("outcome", "limited")).description("requests refused by the limiter (429)").register(registry));
        track(FunctionCounter.builder("strata.http.ratelimit.requests", limit, HttpRateLimit::failedOpen)
                .tags(tags.and("outcome", "failed_open")).description("requests let through undecided").register(registry));
        track(FunctionCounter.builder("strata.http.ratelimit.requests", limit, HttpRateLimit::failedClosed)
                .tags(tags.and("outcome", "failed_closed")).description("requests refused undecided (503)").register(registry));
        return this;
    }

    /** Meters a bulkhead: {@code strata.bulkhead.active}, {@code .available}, {@code .max} and {@code .rejected}. */
    public StrataMetrics bind(Bulkhead bulkhead) {
        Objects.requireNonNull(bulkhead, "bulkhead");
        Tags tags = tags(bulkhead.name(), Layer.RESILIENCE);
        track(Gauge.builder("strata.bulkhead.active", bulkhead, Bulkhead::inUse).tags(tags)
                .description("calls holding a slot").register(registry));
        track(Gauge.builder("strata.bulkhead.available", bulkhead, Bulkhead::available).tags(tags)
                .description("free slots").register(registry));
        track(Gauge.builder("strata.bulkhead.max", bulkhead, Bulkhead::maxConcurrentCalls).tags(tags)
                .description("configured maximum of concurrent calls").register(registry));
        track(FunctionCounter.builder("strata.bulkhead.rejected", bulkhead, Bulkhead::rejectedCount).tags(tags)
                .description("calls rejected because every slot was taken").register(registry));
        return this;
    }

    /**
     * Meters an adaptive concurrency limit: {@code strata.adaptive.limit} (the current limit),
     * {@code .in.flight}, {@code .baseline.rtt} and {@code .rtt} (seconds), and {@code
     * strata.adaptive.limit.rejected} per {@code criticality}.
     */
    public StrataMetrics bind(AdaptiveLimit limit) {
        Objects.requireNonNull(limit, "adaptiveLimit");
        Tags tags = tags(limit.name(), Layer.RESILIENCE);
        track(Gauge.builder("strata.adaptive.limit", limit, AdaptiveLimit::limit).tags(tags)
                .description("the concurrency limit now").register(registry));
        track(Gauge.builder("strata.adaptive.limit.in.flight", limit, AdaptiveLimit::inFlight).tags(tags)
                .description("calls admitted and not finished").register(registry));
        track(Gauge.builder("strata.adaptive.limit.baseline.rtt", limit, l -> l.baselineRttNanos() / 1e9).tags(tags)
                .baseUnit("seconds").description("latency the limit compares against").register(registry));
        track(Gauge.builder("strata.adaptive.limit.rtt", limit, l -> l.lastRttNanos() / 1e9).tags(tags)
                .baseUnit("seconds").description("mean latency of the last window").register(registry));
        for (Criticality c : Criticality.values()) {
            track(FunctionCounter.builder("strata.adaptive.limit.rejected", limit, l -> l.rejectedCount(c)).tags(tags)
                    .tag("criticality", c.code()).description("calls refused by the adaptive limit").register(registry));
        }
        return this;
    }

    /**
     * Meters a client-side adaptive throttle: {@code strata.throttle.probability} (0..1, the share
     * of calls refused locally now) and {@code strata.throttle.rejected}.
     */
    public StrataMetrics bind(AdaptiveThrottle throttle) {
        Objects.requireNonNull(throttle, "throttle");
        Tags tags = tags(throttle.name(), Layer.RESILIENCE);
        track(Gauge.builder("strata.throttle.probability", throttle, AdaptiveThrottle::rejectProbability).tags(tags)
                .baseUnit("ratio").description("probability a call is refused locally now").register(registry));
        track(FunctionCounter.builder("strata.throttle.rejected", throttle, AdaptiveThrottle::throttledCount).tags(tags)
                .description("calls refused locally by client-side throttling").register(registry));
        return this;
    }

    /**
     * Meters a retry budget shared by the calls to {@code dependency}: {@code
     * strata.retry.budget.available}, the retries that could be withdrawn now. Refused retries
     * show in {@code strata.calls} of the pipeline as {@code failed_with_retry} with their fault,
     * and in {@code strata.calls.budget.refused}.
     */
    public StrataMetrics bind(String dependency, RetryBudget budget) {
        if (dependency == null || dependency.isBlank()) {
            throw new IllegalArgumentException("dependency: '" + dependency + "' is not allowed; must be a non-blank name");
        }
        Objects.requireNonNull(budget, "retryBudget");
        track(Gauge.builder("strata.retry.budget.available", budget, RetryBudget::available)
                .tags(tags(dependency, Layer.RESILIENCE)).description("retries the budget would allow now").register(registry));
        return this;
    }

    // ------------------------------------------------------------------ L2 and L1

    /**
     * Meters a pool, read from {@link Pool#stats()} when scraped: HikariCP-like {@code strata.pool.connections.active | idle | pending |
     * total | max} gauges, {@code .acquired | timeout | created | create.failures | leaks}
     * counters, {@code .evicted} by {@code reason}, {@code .wait} by {@code quantile}
     * (0.5, 0.99, max; seconds), and {@code strata.pool.connections.stale} tagged {@code layer=L1}
     * because a stale connection is a network finding.
     */
    public StrataMetrics bind(Pool<?> pool) {
        Objects.requireNonNull(pool, "pool");
        // The pool itself is the meters' state object: Micrometer holds it weakly, and the
        // application holds the pool, whereas a lambda made here would be collected at once.
        Pool<?> stats = pool;
        Tags l2 = tags(pool.name(), Layer.RESOURCE);
        gauge("strata.pool.connections.active", l2, stats, s -> s.active(), "connections lent out");
        gauge("strata.pool.connections.idle", l2, stats, s -> s.idle(), "connections idle in the pool");
        gauge("strata.pool.connections.pending", l2, stats, s -> s.waiting(), "threads waiting for a connection");
        gauge("strata.pool.connections.total", l2, stats, s -> s.total(), "connections open, idle and active");
        gauge("strata.pool.connections.max", l2, stats, s -> s.maxSize(), "configured maximum pool size");
        counter("strata.pool.connections.acquired", l2, stats, s -> s.acquisitions(), "successful acquisitions");
        counter("strata.pool.connections.timeout", l2, stats, s -> s.timeouts(), "acquisitions that gave up waiting");
        counter("strata.pool.connections.opened", l2, stats, s -> s.created(), "connections opened");
        counter("strata.pool.connections.create.failures", l2, stats, s -> s.createFailures(), "connection attempts that failed");
        counter("strata.pool.connections.leaks", l2, stats, s -> s.leaksReported(), "connections reported as held too long");
        for (EvictionReason reason : EvictionReason.values()) {
            counter("strata.pool.connections.evicted", l2.and("reason", reason.code()), stats, s -> s.closed(reason),
                    "connections closed, by reason");
        }
        waitGauge(l2.and("quantile", "0.5"), stats, PoolStats::waitP50);
        waitGauge(l2.and("quantile", "0.99"), stats, PoolStats::waitP99);
        waitGauge(l2.and("quantile", "max"), stats, PoolStats::waitMax);
        counter("strata.pool.connections.stale", tags(pool.name(), Layer.NETWORK), stats, s -> s.staleDetected(),
                "idle connections found dead by validation, keepalive or first use");
        return this;
    }

    private void gauge(String name, Tags tags, Pool<?> pool, java.util.function.ToDoubleFunction<PoolStats> f, String help) {
        track(Gauge.builder(name, pool, p -> f.applyAsDouble(p.stats())).tags(tags).description(help).register(registry));
    }

    private void counter(String name, Tags tags, Pool<?> pool, java.util.function.ToDoubleFunction<PoolStats> f, String help) {
        track(FunctionCounter.builder(name, pool, p -> f.applyAsDouble(p.stats())).tags(tags).description(help).register(registry));
    }

    private void waitGauge(Tags tags, Pool<?> pool, java.util.function.Function<PoolStats, Duration> f) {
        track(TimeGauge.builder("strata.pool.connections.wait", pool, TimeUnit.NANOSECONDS, p -> f.apply(p.stats()).toNanos())
                .tags(tags).description("acquisition wait, by quantile (power-of-two buckets)").register(registry));
    }

    // ------------------------------------------------------------------ life cycle

    /** Unbinds every listener and removes every meter this instance registered. Idempotent. */
    @Override
    public void close() {
        List<AutoCloseable> toClose;
        List<Meter> toRemove;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            toClose = List.copyOf(handles);
            toRemove = List.copyOf(meters);
            handles.clear();
            meters.clear();
        } finally {
            lock.unlock();
        }
        for (AutoCloseable h : toClose) {
            try {
                h.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not unbind " + h, e);
            }
        }
        for (Meter m : toRemove) {
            registry.remove(m);
        }
    }

    private <M extends Meter> M track(M meter) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("StrataMetrics is closed");
            }
            if (!meters.contains(meter)) {
                meters.add(meter);
            }
        } finally {
            lock.unlock();
        }
        return meter;
    }

    private void handle(AutoCloseable handle) {
        lock.lock();
        try {
            if (closed) {
                closeQuietly(handle);
                throw new IllegalStateException("StrataMetrics is closed");
            }
            handles.add(handle);
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(AutoCloseable handle) {
        try {
            handle.close();
        } catch (Exception ignored) {
            // nothing to undo: the handle only removes a listener
        }
    }

    static Tags tags(String dependency, Layer layer) {
        return Tags.of("dependency", dependency, "layer", layer.label());
    }

    /** {@code HALF_OPEN} -> {@code half_open}, {@code bulkhead-full} -> {@code bulkhead_full}: Micrometer's tag style. */
    static String tagValue(String name) {
        return name.toLowerCase(Locale.ROOT).replace('-', '_');
    }

    // ------------------------------------------------------------------ the pipeline listener

    /**
     * The meters of one pipeline. Everything a call records into is created up front or once per
     * fault kind, so recording is a counter increment or a timer update with no registry look-up.
     */
    private final class PipelineMeters implements OutcomeListener {
        private final String dependency;
        private final Tags l3;
        private final Timer successWithoutRetry;
        private final Timer successWithRetry;
        private final Timer failedWithoutRetry;
        private final Timer failedWithRetry;
        private final Counter attempts;
        /** Per refusal's fault kind; circuit_open and bulkhead_full exist from the start, the rest on first use. */
        private final AtomicReferenceArray<Counter> rejected = new AtomicReferenceArray<>(FaultKind.values().length);
        private final Counter budgetRefused;
        private final AtomicReferenceArray<Counter> faults = new AtomicReferenceArray<>(FaultKind.values().length);
        private final AtomicReferenceArray<Counter> fallbacks = new AtomicReferenceArray<>(FaultKind.values().length * 2);

        PipelineMeters(String dependency) {
            this.dependency = dependency;
            this.l3 = tags(dependency, Layer.RESILIENCE);
            successWithoutRetry = timer("successful_without_retry");
            successWithRetry = timer("successful_with_retry");
            failedWithoutRetry = timer("failed_without_retry");
            failedWithRetry = timer("failed_with_retry");
            // A counter, not a distribution summary: an increment is all the success path can afford.
            attempts = track(Counter.builder(ATTEMPTS).tags(l3)
                    .description("attempts made by logical calls; per call: divide by strata.calls").register(registry));
            rejectedCounter(FaultKind.CIRCUIT_OPEN);
            rejectedCounter(FaultKind.BULKHEAD_FULL);
            budgetRefused = track(Counter.builder("strata.calls.budget.refused").tags(l3)
                    .description("calls that ended because the retry budget refused a retry").register(registry));
        }

        private Timer timer(String kind) {
            return track(Timer.builder(CALLS).tags(l3).tag("kind", kind)
                    .description("logical calls, by outcome and whether they were retried").register(registry));
        }

        @Override
        public void callSucceeded(String dep, int n, long nanos) {
            (n > 1 ? successWithRetry : successWithoutRetry).record(nanos, TimeUnit.NANOSECONDS);
            attempts.increment(n);
        }

        @Override
        public void callFailed(String dep, int n, long nanos, Fault fault) {
            (n > 1 ? failedWithRetry : failedWithoutRetry).record(nanos, TimeUnit.NANOSECONDS);
            attempts.increment(n);
            if (fault.kind() == FaultKind.RETRY_BUDGET_EXHAUSTED) {
                budgetRefused.increment();
            }
        }

        @Override
        public void callRejected(String dep, Fault fault) {
            rejectedCounter(fault.kind()).increment();
        }

        /** The refusal counter of {@code kind} (throttled, rate_limited, ... each its own series). */
        private Counter rejectedCounter(FaultKind kind) {
            Counter c = rejected.get(kind.ordinal());
            if (c == null) {
                c = track(Counter.builder(CALLS_REJECTED).tags(l3).tag("kind", tagValue(kind.code()))
                        .description("calls refused before their first attempt").register(registry));
                rejected.set(kind.ordinal(), c); // a racing duplicate is the same meter: the registry dedupes by id
            }
            return c;
        }

        @Override
        public void attemptFailed(String dep, int attempt, long nanos, Fault fault) {
            FaultKind kind = fault.kind();
            Counter c = faults.get(kind.ordinal());
            if (c == null) {
                c = track(Counter.builder(FAULTS).tags("dependency", dependency, "layer", kind.layer().label())
                        .tag("kind", tagValue(kind.code())).description("failed attempts, by the fault's layer and kind")
                        .register(registry));
                faults.set(kind.ordinal(), c); // a racing duplicate is the same meter: the registry dedupes by id
            }
            c.increment();
        }

        @Override
        public void fallbackInvoked(String dep, Fault reason, boolean answered) {
            int slot = reason.kind().ordinal() * 2 + (answered ? 1 : 0);
            Counter c = fallbacks.get(slot);
            if (c == null) {
                c = track(Counter.builder(FALLBACKS).tags(l3).tag("kind", tagValue(reason.kind().code()))
                        .tag("outcome", answered ? "answered" : "failed")
                        .description("fallbacks invoked, by the fault that triggered them").register(registry));
                fallbacks.set(slot, c);
            }
            c.increment();
        }
    }
}
