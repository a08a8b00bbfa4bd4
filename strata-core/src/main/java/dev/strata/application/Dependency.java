package dev.strata.application;

import dev.strata.call.CallContext;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.Pool;
import dev.strata.jdbc.StrataDataSource;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one shared handle of a dependency in a {@link Strata} runtime: its {@link Pipeline}, its
 * policies, its {@link StrataDataSource} when it is a database, its attachments (an HTTP client).
 * {@link Strata#dependency(String)} returns the same handle, and the handle the same objects,
 * every time; the runtime creates the pool and attachments once (at {@link Strata#start()} or on
 * first use) and closes them on shutdown.
 *
 * <p>Calls made through {@link #execute} are counted as in-flight work, which graceful shutdown
 * waits for, and are refused with {@link ShuttingDownException} once the runtime closes its pools.
 *
 * <p>Thread-safe.
 */
public final class Dependency {

    private final Strata runtime;
    private final String name;
    private final Pipeline pipeline;
    private final CircuitBreaker breaker;
    private final Bulkhead bulkhead;
    private final RetryBudget retryBudget;
    /** Replaced by a reload; read by {@link #retry()} only, never on a call's path. */
    private volatile Retry retry;
    /** The settings in force as the last reload read them (null until the first reload). */
    Reloader.Reading reading;
    private final Set<FaultKind> fallbackKinds;
    private final URI httpBaseUrl;
    private final PoolTarget target;
    private final boolean required;
    final DependencySettings settings;
    private final AtomicReference<Fault> lastFault = new AtomicReference<>();
    private volatile long lastFaultMillis;
    // written under the runtime's lock, read without it
    volatile StrataDataSource dataSource;
    volatile Map<AttachmentKey<?>, Object> attachments = Map.of();
    volatile boolean resourcesCreated;
    volatile boolean warmedOnce;
    /** A background reachability probe is running (at most one per dependency). */
    private final java.util.concurrent.atomic.AtomicBoolean probing = new java.util.concurrent.atomic.AtomicBoolean();

    Dependency(Strata runtime, DependencySettings settings, Pipeline pipeline, CircuitBreaker breaker, Bulkhead bulkhead,
               RetryBudget retryBudget, Retry retry) {
        this.runtime = runtime;
        this.name = settings.name();
        this.settings = settings;
        this.pipeline = pipeline;
        this.breaker = breaker;
        this.bulkhead = bulkhead;
        this.retryBudget = retryBudget;
        this.retry = retry;
        this.fallbackKinds = Collections.unmodifiableSet(settings.fallbackKinds);
        this.httpBaseUrl = settings.httpBaseUrl;
        this.target = settings.jdbcUrl == null ? null : PoolTarget.jdbc(settings.jdbcUrl, settings.user);
        this.required = settings.required;
    }

    /**
     * Whether the pool has proved its database reachable once: it opened a connection at some
     * point. With {@code min_idle} 0 nothing is opened by itself, so when nothing has been opened
     * yet this starts (at most one at a time, on a virtual thread) a probe that borrows and returns
     * one connection; readiness asks again later.
     */
    boolean provedReachable() {
        StrataDataSource ds = dataSource;
        if (ds == null) {
            return false;
        }
        if (ds.stats().created() > 0) {
            return true;
        }
        if (!ds.pool().isClosed() && probing.compareAndSet(false, true)) {
            Thread.ofVirtual().name("strata-ready-probe-" + name).start(() -> {
                try (var lease = ds.pool().acquire()) {
                    // borrowed and given back: the connection stays in the pool, counted as created
                } catch (RuntimeException unreachable) {
                    // the pool has already published the fault; readiness stays down and asks again
                } finally {
                    probing.set(false);
                }
            });
        }
        return false;
    }

    /** The dependency's name, as configured. */
    public String name() {
        return name;
    }

    /** The runtime that owns this dependency. */
    public Strata runtime() {
        return runtime;
    }

    /** The runtime's event bus, where this dependency's components publish. */
    public EventBus events() {
        return runtime.events();
    }

    /** The dependency's pipeline: all calls to it go through this one instance. */
    public Pipeline pipeline() {
        return pipeline;
    }

    public Optional<CircuitBreaker> circuitBreaker() {
        return Optional.ofNullable(breaker);
    }

    public Optional<Bulkhead> bulkhead() {
        return Optional.ofNullable(bulkhead);
    }

    /** The adaptive concurrency limit its pipeline admits calls by, if any. */
    public Optional<AdaptiveLimit> adaptiveLimit() {
        return pipeline.adaptiveLimit();
    }

    /** The client-side adaptive throttle of its pipeline, if any. */
    public Optional<AdaptiveThrottle> throttle() {
        return pipeline.throttle();
    }

    public Optional<RetryBudget> retryBudget() {
        return Optional.ofNullable(retryBudget);
    }

    public Optional<Retry> retry() {
        return Optional.ofNullable(retry);
    }

    /** The rate limiter its pipeline takes a permit from per call, if any. */
    public Optional<dev.strata.ratelimit.RateLimiter> rateLimiter() {
        return Optional.ofNullable(settings.rateLimiter);
    }

    /** The fault kinds for which a per-call fallback handler is used (from the configuration). */
    public Set<FaultKind> fallbackKinds() {
        return fallbackKinds;
    }

    /** The HTTP base URL, when the dependency is an HTTP service. */
    public Optional<URI> httpBaseUrl() {
        return Optional.ofNullable(httpBaseUrl);
    }

    /** What the dependency's JDBC pool connects to, when it is a database. */
    public Optional<PoolTarget> poolTarget() {
        return Optional.ofNullable(target);
    }

    /** Whether readiness waits for this dependency's pool to reach its minimum once. */
    public boolean required() {
        return required;
    }

    /**
     * The dependency's data source, created on first use if {@link Strata#start()} has not run.
     *
     * @throws IllegalStateException when the dependency has no JDBC URL, or the runtime is closing
     */
    public StrataDataSource dataSource() {
        if (target == null) {
            throw new IllegalStateException("dependency '" + name + "' has no JDBC URL, so it has no data source; "
                    + "set dependencies." + name + ".jdbc.url");
        }
        runtime.ensureResources(this);
        return dataSource;
    }

    /** The pool under the data source, when the dependency is a database. */
    public Optional<Pool<?>> pool() {
        if (target == null) {
            return Optional.empty();
        }
        return Optional.of(dataSource().pool());
    }

    /**
     * The attachment registered under {@code key}, created on first use.
     *
     * @throws IllegalStateException when no factory was registered for this dependency, or it made none
     */
    public <T> T attachment(AttachmentKey<T> key) {
        return findAttachment(key).orElseThrow(() -> new IllegalStateException("dependency '" + name
                + "' has no attachment '" + key.name() + "'; registered: " + settings.attachments.keySet().stream()
                .map(AttachmentKey::name).toList()));
    }

    /**
     * The dependency's HTTP client, made by {@link HttpClients} on its pipeline and base URL.
     *
     * @throws IllegalStateException when the dependency has no HTTP base URL
     */
    public dev.strata.http.StrataHttpClient httpClient() {
        return attachment(HttpClients.KEY);
    }

    /** The attachment registered under {@code key}, if the dependency has one. */
    public <T> Optional<T> findAttachment(AttachmentKey<T> key) {
        runtime.ensureResources(this);
        return Optional.ofNullable(attachments.get(key)).map(key.type()::cast);
    }

    /** Every attachment this dependency has, by key, in creation order (a read-only view). */
    public Map<AttachmentKey<?>, Object> attachments() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(attachments));
    }

    /**
     * Runs one logical idempotent call through the pipeline, counted as in-flight work.
     *
     * @throws ShuttingDownException when the runtime is closing its pools
     * @throws RuntimeException what {@link Pipeline#execute(Callable)} throws
     */
    public <T> T execute(Callable<T> attempt) {
        try (Strata.Admission ignored = runtime.admitCall(name)) {
            return pipeline.execute(attempt);
        }
    }

    /** Like {@link #execute(Callable)} for the given call context (idempotency, trace). */
    public <T> T execute(CallContext context, Callable<T> attempt) {
        try (Strata.Admission ignored = runtime.admitCall(name)) {
            return pipeline.execute(context, attempt);
        }
    }

    /**
     * Like {@link #execute(CallContext, Callable)}, answering with {@code fallback} when the call
     * fails with one of the configured {@link #fallbackKinds()}.
     */
    public <T> T execute(CallContext context, Callable<T> attempt, Fallback.Handler<? extends T> fallback) {
        try (Strata.Admission ignored = runtime.admitCall(name)) {
            if (fallbackKinds.isEmpty()) {
                return pipeline.execute(context, attempt);
            }
            return pipeline.execute(context, attempt, Fallback.<T>on(fallbackKinds, fallback));
        }
    }

    /** The last fault any component of this dependency reported, if any. */
    public Optional<Fault> lastFault() {
        return Optional.ofNullable(lastFault.get());
    }

    /** When {@link #lastFault()} was reported, epoch milliseconds; 0 if never. */
    public long lastFaultMillis() {
        return lastFaultMillis;
    }

    /** After a reload: the retry policy the pipeline now starts calls with. */
    void retune(Retry next) {
        this.retry = next;
    }

    void recordFault(Fault fault, long epochMillis) {
        lastFault.set(fault);
        lastFaultMillis = epochMillis;
    }

    @Override
    public String toString() {
        return "Dependency[" + name + (target == null ? "" : ", " + target) + (httpBaseUrl == null ? "" : ", " + httpBaseUrl)
                + ", " + pipeline + "]";
    }
}
