package dev.strata.application;

import dev.strata.call.Clock;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.jdbc.StrataDataSource;
import dev.strata.observe.EventBus;
import dev.strata.pool.Pool;
import dev.strata.ratelimit.RateLimiter;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.RetryBudget;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
/**
 * The one Strata runtime of a process (L4, "How do I organise?"): it builds every dependency's
 * pipeline, pool and attachments once, hands out the one shared {@link Dependency} handle per
 * name, owns the {@link EventBus} they publish on, answers health probes and shuts everything down
 * gracefully, in reverse creation order.
 *
 * <pre>{@code
 * Strata strata = Strata.builder()
 *     .defaults(d -> d.timeout(Duration.ofSeconds(2)).retry(r -> r.maxAttempts(3)))
 *     .dependency("catalog", d -> d.jdbc(url, "shop", password).pool(p -> p.maxSize(10).minIdle(2)))
 *     .dependency("payments", d -> d.deadline(Duration.ofSeconds(5)).breaker(b -> b.failureRateThreshold(0.5)))
 *     .build()
 *     .start()
 *     .installShutdownHook();
 * DataSource catalog = strata.dependency("catalog").dataSource();   // the same object every time
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link StrataBuilder#build()} validates everything at once (every dependency's pipeline budget
 *       check, pool settings, the connection budget) and reports every problem in one
 *       {@link InvalidConfigurationException}; nothing is created when any is wrong.</li>
 *   <li>{@link #dependency(String)} returns the same handle for a name; the handle's pipeline,
 *       policies, data source and attachments are created once, all or nothing: when one of them
 *       fails, what was made for that dependency is closed again.</li>
 *   <li>A second pool to a target (JDBC URL and user, or host:port) that already has an open pool
 *       made by any runtime in this process is an L4 {@link Finding} with both creation sites,
 *       published on the bus; in {@linkplain StrataBuilder#strict strict mode} it is refused with
 *       {@link DuplicatePoolException}.</li>
 *   <li>{@link #start()} creates every resource, checks PostgreSQL's real {@code max_connections}
 *       against the connection budget, and waits (bounded) for required pools to warm up.</li>
 *   <li>{@link #close()} shuts down gracefully as {@link #shutdown()} describes.</li>
 * </ul>
 *
 * <p>Thread-safe. Read-only views ({@link #components()}, {@link #pools()}, {@link #breakers()}, ...)
 * are for diagnosis, metrics and dashboards; they never create anything.
 */
public final class Strata implements AutoCloseable {

    /** Lifecycle of a runtime; each state includes the guarantees of the earlier ones. */
    public enum State {
        /** Built, not started: dependencies are created on first use; not ready. */
        NEW,
        /** {@link #start()} is creating resources. */
        STARTING,
        /** Started: ready once required pools have warmed up. */
        RUNNING,
        /** Shutdown began: readiness reports 503, work is still accepted while load balancers notice. */
        DRAINING,
        /** New work is refused; in-flight work is finishing. */
        REFUSING,
        /** Pools and the rest are being closed; dependency calls are refused. */
        STOPPING,
        /** Everything is closed. */
        CLOSED
    }

    /**
     * Something the runtime made or was given to own, in creation order.
     *
     * @param dependency the dependency it belongs to, or {@code strata} for runtime-wide parts
     * @param kind {@code circuit-breaker}, {@code bulkhead}, {@code retry-budget}, {@code pipeline},
     *     {@code data-source}, {@code pool}, {@code owned}, or an attachment's key name
     * @param instance the object itself
     */
    public record Component(String dependency, String kind, Object instance) {
    }

    /**
     * A unit of in-flight work (a request being served, a dependency call); close it when the work
     * ends. Graceful shutdown waits for every open admission. Closing twice is harmless.
     */
    public final class Admission implements AutoCloseable {
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Admission() {
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                lifecycle.leave();
            }
        }
    }

    /** The name under which runtime-wide parts are listed and runtime events are published. */
    static final String RUNTIME = "strata";

    private final EventBus events;
    private final Clock clock;
    private final boolean strict;
    private final Duration startTimeout;
    private final ConnectionBudget budget;
    private final Map<String, Dependency> dependencies;
    private final Inventory inventory = new Inventory();
    private final List<Map.Entry<String, BooleanSupplier>> livenessChecks;
    private final List<ConnectionBudget.Check> budgetChecks = new CopyOnWriteArrayList<>();
    /** Serialises resource creation, pool registration, the start transition and the hook's installation. */
    private final ReentrantLock lock = new ReentrantLock();
    private final OpenTargets openTargets;
    private final Lifecycle lifecycle;
    private final DependencyAssembler assembler;
    private final Health health;
    private final AutoCloseable faultTracker;
    /** The runtime-wide settings it was built with, for {@link #reload}. */
    private final Map<String, Reloader.Value> runtimeSettings;
    /** Serialises reloads. */
    private final ReentrantLock reloadLock = new ReentrantLock();

    static Strata create(StrataBuilder b, Map<String, DependencySettings> settings) {
        return new Strata(b, settings);
    }

    private Strata(StrataBuilder b, Map<String, DependencySettings> settings) {
        this.events = b.events == null ? EventBus.create() : b.events;
        this.clock = b.clock;
        this.strict = b.strict;
        this.startTimeout = b.startTimeout;
        this.budget = b.budget;
        this.livenessChecks = List.copyOf(b.livenessChecks);
        this.runtimeSettings = Reloader.runtimeValues(b);
        this.openTargets = new OpenTargets(this);
        this.lifecycle = new Lifecycle(this, lock, b.shutdownPause, b.shutdownBudget, inventory, openTargets);
        this.assembler = new DependencyAssembler(this, lock, inventory, openTargets);
        Map<String, Dependency> made = new LinkedHashMap<>();
        for (DependencySettings s : settings.values()) {
            made.put(s.name(), assembler.build(s));
        }
        this.dependencies = Collections.unmodifiableMap(made);
        this.health = new Health(this);
        this.faultTracker = assembler.trackFaults(dependencies);
        openTargets.openRuntime();
    }

    /** Starts describing a runtime in code. */
    public static StrataBuilder builder() {
        return new StrataBuilder();
    }

    // ------------------------------------------------------------------ dependencies

    /**
     * The one shared handle of the named dependency; its pool and attachments are created on
     * first use if {@link #start()} has not created them.
     *
     * @throws IllegalArgumentException when no dependency has that name (the message lists the names)
     */
    public Dependency dependency(String name) {
        Dependency d = dependencies.get(name);
        if (d == null) {
            throw new IllegalArgumentException("dependency: '" + name + "' is not configured; configured: "
                    + dependencies.keySet());
        }
        return d;
    }

    /** Every dependency, in declaration order (a read-only view). */
    public Map<String, Dependency> dependencies() {
        return dependencies;
    }

    /** The bus every component of this runtime publishes on; subscribe here to see everything. */
    public EventBus events() {
        return events;
    }

    /** The clock every component of this runtime uses. */
    public Clock clock() {
        return clock;
    }

    /** Whether a second pool to one target is refused rather than reported. */
    public boolean strict() {
        return strict;
    }

    /** The connection budget settings. */
    public ConnectionBudget connectionBudget() {
        return budget;
    }

    /** The connection budget arithmetic done so far: per server at build (declared) and at start (real). */
    public List<ConnectionBudget.Check> connectionBudgetChecks() {
        return Collections.unmodifiableList(budgetChecks);
    }

    /** Health probes over this runtime. */
    public Health health() {
        return health;
    }

    public State state() {
        return lifecycle.state();
    }

    /** L4 findings noticed so far (duplicate pools, a second runtime), in order, whether or not still true. */
    public List<Finding> findings() {
        return openTargets.findings();
    }

    /**
     * The findings of {@link #findings()} that are still true now: a duplicate pool while the first
     * pool to its target is open (closing the runtime that held it, as a config reload does, ends
     * it), a second runtime while another runtime is open. What a diagnosis reads.
     */
    public List<Finding> currentFindings() {
        return openTargets.currentFindings();
    }

    /** Everything this runtime made or owns, in creation order (a read-only snapshot). */
    public List<Component> components() {
        return inventory.snapshot();
    }

    /** Every component of the given type, in creation order, e.g. {@code components(RateLimiter.class)}. */
    public <T> List<T> components(Class<T> type) {
        return inventory.instances(type);
    }

    /** Every pool created so far (the data sources' pools). */
    public List<Pool<?>> pools() {
        return inventory.pools();
    }

    public List<StrataDataSource> dataSources() {
        return components(StrataDataSource.class);
    }

    public List<CircuitBreaker> breakers() {
        return components(CircuitBreaker.class);
    }

    public List<Bulkhead> bulkheads() {
        return components(Bulkhead.class);
    }

    public List<RetryBudget> retryBudgets() {
        return components(RetryBudget.class);
    }

    public List<Pipeline> pipelines() {
        return components(Pipeline.class);
    }

    /** Every rate limiter the runtime's dependencies use: set on a pipeline, or attached (each once). */
    public List<RateLimiter> limiters() {
        return Inventory.distinct(components(RateLimiter.class), attachments(RateLimiter.class));
    }

    /**
     * Every attachment of the given type across dependencies, in creation order: e.g. every rate
     * limiter or HTTP client the runtime made.
     */
    public <T> List<T> attachments(Class<T> type) {
        return Inventory.attachments(dependencies.values(), type);
    }

    /**
     * Hands the runtime something to close on shutdown, after the pools, in reverse order of
     * handing over (an HTTP server, a scheduler). Returns {@code resource}.
     */
    public <T extends AutoCloseable> T own(String description, T resource) {
        Require.notBlank("description", description);
        Objects.requireNonNull(resource, "resource");
        State now = lifecycle.state();
        if (now.compareTo(State.STOPPING) >= 0) {
            throw new ShuttingDownException(RUNTIME, now);
        }
        inventory.add(new Component(RUNTIME, "owned:" + description, resource));
        return resource;
    }

    /**
     * Registers a pool made outside the runtime (an HTTP client's connection pool, a Redis client)
     * so it is checked for duplicates, listed and closed with the other pools on shutdown.
     *
     * @throws DuplicatePoolException in strict mode when {@code target} already has an open pool
     */
    public <T extends AutoCloseable> T registerPool(String dependency, PoolTarget target, T pool) {
        Require.notBlank("dependency", dependency);
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(pool, "pool");
        assembler.registerPool(dependency, target, pool);
        return pool;
    }

    // ------------------------------------------------------------------ reload

    /**
     * Puts the policy settings of {@code next} in force while the runtime runs, all or nothing,
     * and says what changed. {@code next} describes the whole runtime again, as the one it was
     * built from did (a config loader makes a fresh builder from the changed file); it is
     * validated as {@link StrataBuilder#build()} validates, then compared with the running settings,
     * dependency by dependency and key by key.
     *
     * <p><b>Applied while calls run</b>: per dependency, {@code deadline}, {@code timeout},
     * {@code retry.attempts / backoff / jitter / max_duration}, the breaker's thresholds and waits
     * ({@code failure_threshold, minimum_calls, failure_rate, slow_call_duration, slow_call_rate,
     * half_open_permits, open_wait, open_wait_multiplier, max_open_wait, open_wait_jitter}),
     * {@code bulkhead.max_concurrent / max_wait} and {@code retry.budget.percent / min_per_second}.
     * The breaker keeps its state and its window, the bulkhead the slots in use, the budget its
     * balance. A call in flight finishes with the settings it started with; calls starting after
     * this method returns use the new ones.
     *
     * <p><b>Refused, each naming the dependency, the key, both values and "needs a restart"</b>: a
     * dependency added or removed; a policy switched on or off; the breaker's {@code mode} and
     * {@code window_size}; measuring slow calls switched on or off; {@code retry.budget.ttl}; a
     * hedge; every {@code pool.*} key (the sizes included); {@code jdbc.*} (URL, user, password,
     * properties); {@code http.base_url}; {@code required}; {@code fallback}; and the runtime-wide
     * settings (strict mode, shutdown timings, start timeout, connection budget). When anything is
     * refused nothing is applied. Code-only parts of {@code next} (attachment factories, fallbacks,
     * pipeline customizers, a rate limiter, liveness checks, its clock and bus) are not compared:
     * the running ones stay.
     *
     * <p>Each call publishes exactly one event on {@link #events()} (which the root bus logs):
     * {@code runtime.reloaded} (INFO) listing every change, or "nothing changed"; or
     * {@code runtime.reload-refused} (WARNING) listing every refusal. Reloads are serialised.
     *
     * @return what changed, or what was refused
     * @throws InvalidConfigurationException when {@code next} is invalid, listing every problem;
     *     nothing is applied and no event is published
     * @throws ShuttingDownException when the runtime is shutting down
     */
    public ReloadReport reload(StrataBuilder next) {
        return reload(next, List.of());
    }

    /**
     * {@link #reload(StrataBuilder)}, with refusals the caller found in what this runtime cannot compare
     * (a config loader's keys for parts made by code, such as a rate limiter a binder built): they
     * join the report's refusals, and with any of them nothing is applied. Still one event.
     */
    public ReloadReport reload(StrataBuilder next, List<ReloadReport.Refusal> alsoRefused) {
        reloadLock.lock(); // serialised: each reload compares against what the previous one put in force
        try {
            return Reloader.reload(this, runtimeSettings, next, alsoRefused);
        } finally {
            reloadLock.unlock();
        }
    }

    // ------------------------------------------------------------------ start

    /**
     * Creates every dependency's pool and attachments, checks each PostgreSQL server's real
     * {@code max_connections} against the connection budget, and waits up to the start timeout for
     * required pools to reach their minimum idle size. Returns this runtime, now
     * {@link State#RUNNING}; a pool that has not warmed up keeps readiness down until it does.
     *
     * @throws ConnectionBudget.ExceededException when a real {@code max_connections} is too small;
     *     everything created is closed again
     * @throws DuplicatePoolException in strict mode, when two pools share a target
     * @throws IllegalStateException when already started or closed
     */
    public Strata start() {
        long begin = System.nanoTime();
        lifecycle.start(() -> {
            for (Dependency d : dependencies.values()) {
                assembler.ensureResources(d);
            }
            StartBudgetCheck.run(this, budgetChecks);
            assembler.awaitWarm(dependencies.values(), startTimeout);
        });
        publish(RUNTIME, "runtime.started", Level.INFO, "started " + dependencies.size() + " dependencies "
                + dependencies.keySet() + " in " + Durations.format(System.nanoTime() - begin));
        return this;
    }

    /**
     * Registers a JVM shutdown hook that runs {@link #shutdown()} on SIGTERM / SIGINT / normal exit;
     * a later {@link #close()} removes it again. Returns this runtime. Where the JVM lets it (not
     * with {@code -Xrs}), it also takes over SIGTERM and SIGINT: the first exits the JVM as the
     * JVM's own handler would (status 128 + signal number), which runs the hook; a second one while
     * the shutdown runs forces the rest ({@link #forceShutdown()}). The hook also writes each
     * shutdown step to standard error, because the logging backend may be shutting down beside it.
     */
    public Strata installShutdownHook() {
        lifecycle.installShutdownHook();
        return this;
    }

    // ------------------------------------------------------------------ work admission

    /**
     * Admits one unit of new work (an incoming request) and counts it as in flight until the
     * admission is closed. Work is accepted until shutdown stops accepting it (after the pause).
     *
     * @throws ShuttingDownException once the runtime refuses new work; answer it with 503
     */
    public Admission admit() {
        lifecycle.enter(RUNTIME, State.REFUSING);
        return new Admission();
    }

    /** Whether {@link #admit()} would accept new work now. */
    public boolean acceptingWork() {
        return lifecycle.state().compareTo(State.REFUSING) < 0;
    }

    /** Units of work in flight now: open admissions plus dependency calls. */
    public int inFlight() {
        return lifecycle.inFlight();
    }

    Admission admitCall(String dependency) {
        // dependency calls of admitted work continue while the runtime refuses new work; only closing pools stops them
        lifecycle.enter(dependency, State.STOPPING);
        return new Admission();
    }

    // ------------------------------------------------------------------ shutdown

    /** Same as {@link #shutdown()}. */
    @Override
    public void close() {
        shutdown();
    }

    /**
     * Shuts down gracefully within the shutdown budget, logging each step with its timing:
     * <ol>
     *   <li>readiness turns DOWN (503) while work is still accepted;</li>
     *   <li>the pause lets load balancers notice; it is skipped when readiness was never probed
     *       since start, because then nobody routes by it;</li>
     *   <li>new work is refused ({@link ShuttingDownException}, 503);</li>
     *   <li>in-flight work finishes, up to the budget's end (or {@link #forceShutdown()});</li>
     *   <li>pools drain and close, then everything else in reverse creation order.</li>
     * </ol>
     * Idempotent: a second call waits for the first to finish (at most the budget) and returns its report.
     */
    public ShutdownReport shutdown() {
        return lifecycle.shutdown();
    }

    /** Cuts the current shutdown's waits short (pause, in-flight work): the rest closes now. */
    public void forceShutdown() {
        lifecycle.forceShutdown();
    }

    /** Waits until the runtime is closed; returns whether it closed within {@code timeout}. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return lifecycle.awaitTermination(timeout);
    }

    /** The last shutdown's report, or null before shutdown finished. */
    public ShutdownReport shutdownReport() {
        return lifecycle.shutdownReport();
    }

    // ------------------------------------------------------------------ internals

    void readinessProbed() {
        lifecycle.readinessProbed();
    }

    List<Map.Entry<String, BooleanSupplier>> livenessChecks() {
        return livenessChecks;
    }

    /** Creates the dependency's data source and attachments once (all or nothing). */
    void ensureResources(Dependency d) {
        assembler.ensureResources(d);
    }

    /** The runtime is closed: faults on the bus are no longer recorded on its dependencies. */
    void stopTrackingFaults() {
        try {
            faultTracker.close();
        } catch (Exception ignored) {
            // removing a listener from a list does not fail
        }
    }

    /** Publishes an L4 event of this runtime on its bus. */
    void publish(String dependency, String type, Level level, String message) {
        lifecycle.publish(dependency, type, level, message);
    }

    @Override
    public String toString() {
        return "Strata[" + lifecycle.state() + ", " + dependencies.keySet() + ", " + lifecycle.inFlight() + " in flight]";
    }
}
