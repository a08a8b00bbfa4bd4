package dev.strata.application;

import dev.strata.call.Clock;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resilience.Timeout;
import dev.strata.pool.Pool;
import dev.strata.ratelimit.RateLimiter;
import dev.strata.jdbc.StrataDataSource;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
 *   <li>{@link Builder#build()} validates everything at once (every dependency's pipeline budget
 *       check, pool settings, the connection budget) and reports every problem in one
 *       {@link InvalidConfigurationException}; nothing is created when any is wrong.</li>
 *   <li>{@link #dependency(String)} returns the same handle for a name; the handle's pipeline,
 *       policies, data source and attachments are created once.</li>
 *   <li>A second pool to a target (JDBC URL and user, or host:port) that already has an open pool
 *       made by any runtime in this process is an L4 {@link Finding} with both creation sites,
 *       published on the bus; in {@linkplain Builder#strict strict mode} it is refused with
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
     * One step of a shutdown, as logged.
     *
     * @param step what was done, e.g. {@code close data source catalog}
     * @param nanos how long it took
     * @param detail the outcome, e.g. {@code 0 in flight} or a failure
     */
    public record ShutdownStep(String step, long nanos, String detail) {
        @Override
        public String toString() {
            return step + " (" + Durations.format(nanos) + ")" + (detail.isEmpty() ? "" : ": " + detail);
        }
    }

    /**
     * What a shutdown did.
     *
     * @param steps every step in order, with timings
     * @param forced whether the budget ran out (or {@link #forceShutdown()} was called) before in-flight work finished
     * @param unfinished in-flight units of work still running when the runtime stopped waiting
     * @param totalNanos the whole shutdown
     */
    public record ShutdownReport(List<ShutdownStep> steps, boolean forced, int unfinished, long totalNanos) {
        public ShutdownReport {
            steps = List.copyOf(steps);
        }
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
                leave();
            }
        }
    }

    private static final String RUNTIME = "strata";
    /** Open pools of every runtime in the process, by target: a second pool to one target is the L4 finding. */
    private static final ConcurrentHashMap<PoolTarget, Claim> OPEN_TARGETS = new ConcurrentHashMap<>();
    private static final Set<Strata> OPEN_RUNTIMES = ConcurrentHashMap.newKeySet();

    private record Claim(Strata runtime, String dependency, StackTraceElement[] site) {
    }

    private final EventBus events;
    private final Clock clock;
    private final boolean strict;
    private final Duration shutdownPause;
    private final Duration shutdownBudget;
    private final Duration startTimeout;
    private final ConnectionBudget budget;
    private final Map<String, Dependency> dependencies;
    private final List<Component> components = new CopyOnWriteArrayList<>();
    private final List<Finding> findings = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<String, BooleanSupplier>> livenessChecks;
    private final List<ConnectionBudget.Check> budgetChecks = new CopyOnWriteArrayList<>();
    private final Map<PoolTarget, Claim> myClaims = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock inFlightLock = new ReentrantLock();
    private final Condition idle = inFlightLock.newCondition();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Health health;
    private final AutoCloseable faultTracker;
    private volatile State state = State.NEW;
    private volatile boolean readinessProbed;
    private volatile boolean forced;
    private volatile ShutdownReport shutdownReport;
    private volatile Thread shutdownHook;
    /** Whether the shutdown runs in the JVM's shutdown hook, where the logging backend may be gone. */
    private volatile boolean inJvmShutdown;

    private Strata(Builder b, Map<String, DependencySettings> settings) {
        this.events = b.events == null ? EventBus.create() : b.events;
        this.clock = b.clock;
        this.strict = b.strict;
        this.shutdownPause = b.shutdownPause;
        this.shutdownBudget = b.shutdownBudget;
        this.startTimeout = b.startTimeout;
        this.budget = b.budget;
        this.livenessChecks = List.copyOf(b.livenessChecks);
        Map<String, Dependency> made = new LinkedHashMap<>();
        for (DependencySettings s : settings.values()) {
            made.put(s.name(), buildDependency(s));
        }
        this.dependencies = Collections.unmodifiableMap(made);
        this.health = new Health(this);
        this.faultTracker = events.subscribe(event -> {
            if (event.fault() != null) {
                Dependency d = dependencies.get(event.dependency());
                if (d != null) {
                    d.recordFault(event.fault(), event.epochMillis());
                }
            }
        });
        if (!OPEN_RUNTIMES.isEmpty()) {
            Strata other = OPEN_RUNTIMES.iterator().next();
            finding(new Finding(clock.currentTimeMillis(), RUNTIME, "registry.second-runtime",
                    "a second Strata runtime was built while another is open (" + other.dependencies.keySet()
                            + "); one runtime per process shares pools and breakers, two split them", List.of()));
        }
        OPEN_RUNTIMES.add(this);
    }

    /** Starts describing a runtime in code. */
    public static Builder builder() {
        return new Builder();
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
        return state;
    }

    /** L4 findings noticed so far (duplicate pools, a second runtime). */
    public List<Finding> findings() {
        return Collections.unmodifiableList(findings);
    }

    /** Everything this runtime made or owns, in creation order (a read-only snapshot). */
    public List<Component> components() {
        return List.copyOf(components);
    }

    /** Every component of the given type, in creation order, e.g. {@code components(RateLimiter.class)}. */
    public <T> List<T> components(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Component c : components) {
            if (type.isInstance(c.instance())) {
                found.add(type.cast(c.instance()));
            }
        }
        return found;
    }

    /** Every pool created so far (the data sources' pools). */
    public List<Pool<?>> pools() {
        List<Pool<?>> pools = new ArrayList<>();
        for (StrataDataSource ds : components(StrataDataSource.class)) {
            pools.add(ds.pool());
        }
        for (Component c : components) {
            if (c.instance() instanceof Pool<?> p) {
                pools.add(p);
            }
        }
        return pools;
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
        List<RateLimiter> limiters = new ArrayList<>();
        for (RateLimiter l : components(RateLimiter.class)) {
            if (limiters.stream().noneMatch(known -> known == l)) {
                limiters.add(l);
            }
        }
        for (RateLimiter l : attachments(RateLimiter.class)) {
            if (limiters.stream().noneMatch(known -> known == l)) {
                limiters.add(l);
            }
        }
        return limiters;
    }

    /**
     * Every attachment of the given type across dependencies, in creation order: e.g. every rate
     * limiter or HTTP client the runtime made.
     */
    public <T> List<T> attachments(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Dependency d : dependencies.values()) {
            for (Object a : d.attachments.values()) {
                if (type.isInstance(a)) {
                    found.add(type.cast(a));
                }
            }
        }
        return found;
    }

    /**
     * Hands the runtime something to close on shutdown, after the pools, in reverse order of
     * handing over (an HTTP server, a scheduler). Returns {@code resource}.
     */
    public <T extends AutoCloseable> T own(String description, T resource) {
        Require.notBlank("description", description);
        Objects.requireNonNull(resource, "resource");
        if (state.compareTo(State.STOPPING) >= 0) {
            throw new ShuttingDownException(RUNTIME, state);
        }
        components.add(new Component(RUNTIME, "owned:" + description, resource));
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
        lock.lock();
        try {
            claim(dependency, target, new Throwable().getStackTrace());
            components.add(new Component(dependency, "pool", pool));
        } finally {
            lock.unlock();
        }
        return pool;
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
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("start: the runtime is " + state + "; start() runs once, on a new runtime");
            }
            state = State.STARTING;
        } finally {
            lock.unlock();
        }
        try {
            for (Dependency d : dependencies.values()) {
                ensureResources(d);
            }
            checkRealBudgets();
            long end = System.nanoTime() + startTimeout.toNanos();
            for (Dependency d : dependencies.values()) {
                if (d.dataSource != null && d.required()) {
                    long left = Math.max(0L, end - System.nanoTime());
                    if (!d.dataSource.pool().awaitWarm(Duration.ofNanos(left))) {
                        publish(d.name(), "runtime.not-warm", Level.WARNING, "pool did not reach its minimum of "
                                + d.dataSource.pool().config().minIdle() + " idle connections within "
                                + Durations.format(startTimeout) + " (" + d.dataSource.stats()
                                + "); readiness stays down until it does");
                    }
                }
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            abortStart();
            throw new IllegalStateException("start: interrupted while waiting for pools to warm up", interrupted);
        } catch (RuntimeException | Error failure) {
            abortStart();
            throw failure;
        }
        state = State.RUNNING;
        publish(RUNTIME, "runtime.started", Level.INFO, "started " + dependencies.size() + " dependencies "
                + dependencies.keySet() + " in " + Durations.format(System.nanoTime() - begin));
        return this;
    }

    private void abortStart() {
        shutdownStarted.set(true);
        closeResources(new ArrayList<>(), System.nanoTime() + shutdownBudget.toNanos());
        finishClose();
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
        lock.lock();
        try {
            if (shutdownHook == null) {
                Thread hook = new Thread(this::shutdown, "strata-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                shutdownHook = hook;
                SignalRelay.install(this);
            }
        } finally {
            lock.unlock();
        }
        return this;
    }

    /** A second SIGTERM / SIGINT while the shutdown runs forces the rest. */
    void onSecondSignal(String signal) {
        publish(RUNTIME, "shutdown.forced", Level.WARNING, "shutdown: second SIG" + signal + ": forcing the rest");
        forceShutdown();
    }

    // ------------------------------------------------------------------ work admission

    /**
     * Admits one unit of new work (an incoming request) and counts it as in flight until the
     * admission is closed. Work is accepted until shutdown stops accepting it (after the pause).
     *
     * @throws ShuttingDownException once the runtime refuses new work; answer it with 503
     */
    public Admission admit() {
        return admit(RUNTIME, State.REFUSING);
    }

    /** Whether {@link #admit()} would accept new work now. */
    public boolean acceptingWork() {
        return state.compareTo(State.REFUSING) < 0;
    }

    /** Units of work in flight now: open admissions plus dependency calls. */
    public int inFlight() {
        return inFlight.get();
    }

    Admission admitCall(String dependency) {
        // dependency calls of admitted work continue while the runtime refuses new work; only closing pools stops them
        return admit(dependency, State.STOPPING);
    }

    private Admission admit(String dependency, State refuseFrom) {
        inFlight.incrementAndGet(); // count first: shutdown reads the state, then waits for the count
        State now = state;
        if (now.compareTo(refuseFrom) >= 0) {
            leave();
            throw new ShuttingDownException(dependency, now);
        }
        return new Admission();
    }

    private void leave() {
        if (inFlight.decrementAndGet() == 0 && state.compareTo(State.REFUSING) >= 0) {
            inFlightLock.lock();
            try {
                idle.signalAll();
            } finally {
                inFlightLock.unlock();
            }
        }
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
        if (!shutdownStarted.compareAndSet(false, true)) {
            try {
                closed.await(shutdownBudget.toNanos() + TimeUnit.SECONDS.toNanos(10), TimeUnit.NANOSECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return shutdownReport;
        }
        inJvmShutdown = shutdownHook != null && Thread.currentThread() == shutdownHook;
        removeShutdownHook();
        long begin = System.nanoTime();
        long end = begin + shutdownBudget.toNanos();
        List<ShutdownStep> steps = new ArrayList<>();
        publish(RUNTIME, "shutdown.begin", Level.INFO, "shutdown: budget " + Durations.format(shutdownBudget)
                + ", pause " + Durations.format(shutdownPause) + ", " + inFlight.get() + " in flight");

        state = State.DRAINING;
        step(steps, "readiness DOWN", begin, "");

        long t = System.nanoTime();
        if (!readinessProbed) {
            step(steps, "pause", t, "skipped: readiness was never probed");
        } else {
            long pauseEnd = Math.min(end, t + shutdownPause.toNanos());
            waitUntil(pauseEnd, () -> false);
            step(steps, "pause", t, forced ? "cut short (forced)" : "");
        }

        t = System.nanoTime();
        state = State.REFUSING;
        int before = inFlight.get();
        boolean drained = waitUntil(end, () -> inFlight.get() == 0);
        int unfinished = inFlight.get();
        boolean wasForced = !drained;
        step(steps, "refuse new work; wait for in-flight", t, drained
                ? before + " in flight finished"
                : unfinished + " of " + before + " still in flight at " + (forced ? "forced shutdown" : "budget end")
                + "; forcing the rest");

        state = State.STOPPING;
        closeResources(steps, end);
        long total = System.nanoTime() - begin;
        shutdownReport = new ShutdownReport(steps, wasForced, unfinished, total);
        publish(RUNTIME, "shutdown.end", wasForced ? Level.WARNING : Level.INFO, "shutdown complete in "
                + Durations.format(total) + (wasForced ? " (forced, " + unfinished + " unfinished)" : ""));
        finishClose();
        return shutdownReport;
    }

    /** Cuts the current shutdown's waits short (pause, in-flight work): the rest closes now. */
    public void forceShutdown() {
        forced = true;
        inFlightLock.lock();
        try {
            idle.signalAll();
        } finally {
            inFlightLock.unlock();
        }
    }

    /** Waits until the runtime is closed; returns whether it closed within {@code timeout}. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The last shutdown's report, or null before shutdown finished. */
    public ShutdownReport shutdownReport() {
        return shutdownReport;
    }

    private boolean waitUntil(long endNanos, BooleanSupplier done) {
        inFlightLock.lock();
        try {
            while (!done.getAsBoolean()) {
                long left = endNanos - System.nanoTime();
                if (left <= 0 || forced) {
                    return done.getAsBoolean();
                }
                idle.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return done.getAsBoolean();
        } finally {
            inFlightLock.unlock();
        }
    }

    private void closeResources(List<ShutdownStep> steps, long end) {
        List<Component> reversed = new ArrayList<>(components);
        Collections.reverse(reversed);
        // pools first: their connections are what the databases count
        for (Component c : reversed) {
            if (c.instance() instanceof StrataDataSource || c.kind().equals("pool")) {
                closeOne(steps, c);
            }
        }
        for (Component c : reversed) {
            // rate limiters are given, possibly shared: whoever made them closes them (or hands them to own())
            if (!(c.instance() instanceof StrataDataSource || c.kind().equals("pool") || c.kind().equals("rate-limiter"))
                    && c.instance() instanceof AutoCloseable) {
                closeOne(steps, c);
            }
        }
        myClaims.forEach((target, claim) -> OPEN_TARGETS.remove(target, claim));
        myClaims.clear();
        if (System.nanoTime() - end > 0) {
            publish(RUNTIME, "shutdown.over-budget", Level.WARNING, "closing took past the shutdown budget of "
                    + Durations.format(shutdownBudget));
        }
    }

    private void closeOne(List<ShutdownStep> steps, Component c) {
        long t = System.nanoTime();
        String detail = "";
        try {
            ((AutoCloseable) c.instance()).close();
        } catch (Exception | Error failure) {
            detail = "failed: " + failure;
        }
        step(steps, "close " + c.kind() + " " + c.dependency(), t, detail);
    }

    private void finishClose() {
        try {
            faultTracker.close();
        } catch (Exception ignored) {
            // removing a listener from a list does not fail
        }
        OPEN_RUNTIMES.remove(this);
        state = State.CLOSED;
        closed.countDown();
    }

    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException jvmAlreadyExiting) {
                // the hook is running or about to: it will find the shutdown started and wait for it
            }
        }
    }

    private void step(List<ShutdownStep> steps, String what, long startNanos, String detail) {
        ShutdownStep step = new ShutdownStep(what, System.nanoTime() - startNanos, detail);
        steps.add(step);
        publish(RUNTIME, "shutdown.step", Level.INFO, "shutdown: " + step);
    }

    // ------------------------------------------------------------------ internals

    void readinessProbed() {
        readinessProbed = true;
    }

    List<Map.Entry<String, BooleanSupplier>> livenessChecks() {
        return livenessChecks;
    }

    private Dependency buildDependency(DependencySettings s) {
        String name = s.name();
        CircuitBreaker breaker = null;
        Bulkhead bulkhead = null;
        RetryBudget retryBudget = null;
        Retry retry = null;
        if (s.breaker != null) {
            breaker = s.breaker.apply(CircuitBreaker.builder(name)).clock(clock).events(events).build();
            components.add(new Component(name, "circuit-breaker", breaker));
        }
        if (s.bulkhead != null) {
            bulkhead = s.bulkhead.apply(Bulkhead.builder(name)).clock(clock).events(events).build();
            components.add(new Component(name, "bulkhead", bulkhead));
        }
        if (s.retry != null) {
            retry = s.retry.apply(Retry.builder()).build();
        }
        if (s.retryBudget != null && (retry != null || s.hedge != null)) {
            retryBudget = s.retryBudget.apply(RetryBudget.builder()).name(name).clock(clock).events(events).build();
            components.add(new Component(name, "retry-budget", retryBudget));
        }
        Pipeline.Builder p = Pipeline.builder(name).clock(clock).events(events);
        if (s.deadline != null) {
            p.deadline(s.deadline);
        }
        if (s.timeout != null) {
            p.timeout(Timeout.of(s.timeout));
        }
        if (retry != null) {
            p.retry(retry);
        }
        if (retryBudget != null) {
            p.retryBudget(retryBudget);
        }
        if (breaker != null) {
            p.circuitBreaker(breaker);
        }
        if (bulkhead != null) {
            p.bulkhead(bulkhead);
        }
        if (s.hedge != null) {
            p.hedge(s.hedge);
        }
        if (s.rateLimiter != null) {
            p.rateLimiter(s.rateLimiter, s.rateLimitWait);
            components.add(new Component(name, "rate-limiter", s.rateLimiter));
        }
        if (s.fallback != null) {
            p.fallback(s.fallback);
        }
        if (s.pipeline != null) {
            p = s.pipeline.apply(p);
        }
        Pipeline pipeline = p.build();
        components.add(new Component(name, "pipeline", pipeline));
        return new Dependency(this, s, pipeline, breaker, bulkhead, retryBudget, retry);
    }

    /** Creates the dependency's data source and attachments once. */
    void ensureResources(Dependency d) {
        if (d.resourcesCreated) {
            return;
        }
        StackTraceElement[] site = new Throwable().getStackTrace();
        lock.lock();
        try {
            if (d.resourcesCreated) {
                return;
            }
            if (state.compareTo(State.STOPPING) >= 0) {
                throw new ShuttingDownException(d.name(), state);
            }
            DependencySettings s = d.settings;
            if (s.jdbcUrl != null) {
                PoolTarget target = d.poolTarget().orElseThrow();
                claim(d.name(), target, site);
                StrataDataSource.Builder ds = StrataDataSource.builder(d.name(), s.jdbcUrl);
                if (s.user != null) {
                    ds.user(s.user);
                }
                if (s.password != null) {
                    ds.password(s.password.reveal());
                }
                s.driverProperties.forEach(ds::property);
                if (s.validationQuery != null) {
                    ds.validationQuery(s.validationQuery);
                }
                ds.pool(poolSettings(s));
                StrataDataSource dataSource = ds.build();
                d.dataSource = dataSource;
                components.add(new Component(d.name(), "data-source", dataSource));
                publish(d.name(), "runtime.pool-created", Level.INFO, "pool created for " + target + " (max "
                        + dataSource.pool().config().maxSize() + ", min idle " + dataSource.pool().config().minIdle() + ")");
            }
            Map<AttachmentKey<?>, Object> made = new LinkedHashMap<>();
            for (Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>> e : s.attachments.entrySet()) {
                Object attachment;
                try {
                    attachment = e.getValue().create(d);
                } catch (RuntimeException failure) {
                    throw failure;
                } catch (Exception failure) {
                    throw new IllegalStateException("dependency '" + d.name() + "': attachment '" + e.getKey().name()
                            + "' could not be created: " + failure.getMessage(), failure);
                }
                if (attachment != null) {
                    made.put(e.getKey(), e.getKey().type().cast(attachment));
                    components.add(new Component(d.name(), e.getKey().name(), attachment));
                }
            }
            d.attachments = made;
            d.resourcesCreated = true;
        } finally {
            lock.unlock();
        }
    }

    private java.util.function.UnaryOperator<dev.strata.pool.PoolConfig.Builder> poolSettings(DependencySettings s) {
        return b -> {
            dev.strata.pool.PoolConfig.Builder configured = s.pool == null ? b : s.pool.apply(b);
            return configured.clock(clock).events(events);
        };
    }

    private void claim(String dependency, PoolTarget target, StackTraceElement[] site) {
        Claim mine = new Claim(this, dependency, site);
        Claim existing = OPEN_TARGETS.putIfAbsent(target, mine);
        if (existing == null) {
            myClaims.put(target, mine);
            return;
        }
        String where = existing.runtime == this ? "this runtime" : "another Strata runtime";
        Finding finding = new Finding(clock.currentTimeMillis(), dependency, "registry.duplicate-pool",
                "second pool to " + target + ": '" + dependency + "' at " + firstUserFrame(site) + " while '"
                        + existing.dependency + "' (" + where + ") already has one, created at "
                        + firstUserFrame(existing.site) + "; each pool holds its own connections: share one dependency",
                List.of(Arrays.asList(existing.site), Arrays.asList(site)));
        finding(finding);
        if (strict) {
            throw new DuplicatePoolException(finding, new DuplicatePoolException.CreationSite(
                    "first pool to " + target + " created here, for '" + existing.dependency + "'", existing.site));
        }
    }

    private void finding(Finding finding) {
        findings.add(finding);
        events.publish(finding);
    }

    /** The first frame outside Strata itself: where the user's code asked for the pool. */
    static String firstUserFrame(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            String cls = frame.getClassName();
            String outer = cls.indexOf('$') < 0 ? cls : cls.substring(0, cls.indexOf('$'));
            boolean runtime = outer.equals(Strata.class.getName()) || outer.equals(Dependency.class.getName())
                    || cls.startsWith("dev.strata.config.");
            if (!runtime && !cls.startsWith("java.") && !cls.startsWith("jdk.")) {
                return frame.toString();
            }
        }
        return stack.length == 0 ? "unknown" : stack[stack.length - 1].toString();
    }

    private void checkRealBudgets() {
        Map<String, List<Dependency>> postgresServers = new LinkedHashMap<>();
        for (Dependency d : dependencies.values()) {
            d.poolTarget().filter(PoolTarget::isPostgres)
                    .ifPresent(t -> postgresServers.computeIfAbsent(t.server(), k -> new ArrayList<>()).add(d));
        }
        List<ConnectionBudget.Check> failed = new ArrayList<>();
        for (Map.Entry<String, List<Dependency>> server : postgresServers.entrySet()) {
            Dependency first = server.getValue().get(0);
            int max;
            try (Connection c = first.dataSource.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW max_connections")) {
                rs.next();
                max = Integer.parseInt(rs.getString(1).trim());
            } catch (SQLException | RuntimeException unreachable) {
                publish(first.name(), "budget.unchecked", Level.WARNING, "could not read max_connections from "
                        + server.getKey() + " at start (" + unreachable.getMessage() + "); the connection budget was "
                        + "checked only against the declared value");
                continue;
            }
            List<ConnectionBudget.PoolShare> shares = new ArrayList<>();
            for (Dependency d : server.getValue()) {
                shares.add(new ConnectionBudget.PoolShare(d.name(), d.dataSource.pool().config().maxSize()));
            }
            ConnectionBudget.Check check = new ConnectionBudget.Check(server.getKey(), budget.instances(), shares, max,
                    budget.headroom(), "SHOW max_connections");
            budgetChecks.add(check);
            publish(first.name(), "budget.checked", check.fits() ? Level.INFO : Level.ERROR, "connection budget: "
                    + check.explain());
            if (!check.fits()) {
                failed.add(check);
            }
        }
        if (!failed.isEmpty()) {
            throw new ConnectionBudget.ExceededException(failed);
        }
    }

    void publish(String dependency, String type, Level level, String message) {
        BasicEvent event = null;
        if (events.isActive(level)) {
            event = new BasicEvent(clock.currentTimeMillis(), dependency, type, Layer.APPLICATION, level, null, message);
            events.publish(event);
        }
        if (inJvmShutdown && type.startsWith("shutdown.")) {
            // In a JVM shutdown the logging backend may already be closed (java.util.logging resets its
            // handlers in its own shutdown hook), so the steps of a SIGTERM shutdown also go to stderr.
            System.err.println((event != null ? event : new BasicEvent(clock.currentTimeMillis(), dependency, type,
                    Layer.APPLICATION, level, null, message)).logLine());
            System.err.flush();
        }
    }

    @Override
    public String toString() {
        return "Strata[" + state + ", " + dependencies.keySet() + ", " + inFlight.get() + " in flight]";
    }

    // ------------------------------------------------------------------ builder

    /**
     * Describes a runtime: shared defaults, dependencies, budgets, shutdown. {@link #build()}
     * validates all of it and reports every problem at once.
     */
    public static final class Builder {
        private final List<Consumer<DependencySettings>> defaults = new ArrayList<>();
        private final Map<String, List<Consumer<DependencySettings>>> dependencies = new LinkedHashMap<>();
        private final List<Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>>> everywhere = new ArrayList<>();
        private final List<Map.Entry<String, BooleanSupplier>> livenessChecks = new ArrayList<>();
        private EventBus events;
        private Clock clock = Clock.system();
        private boolean strict;
        private Duration shutdownPause = Duration.ofSeconds(5);
        private Duration shutdownBudget = Duration.ofSeconds(30);
        private Duration startTimeout = Duration.ofSeconds(10);
        private ConnectionBudget budget = ConnectionBudget.DEFAULT;

        private Builder() {
        }

        /** Settings every dependency starts from; several calls apply in order. */
        public Builder defaults(Consumer<DependencySettings> settings) {
            defaults.add(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /** Declares a dependency (or adds settings to one already declared). */
        public Builder dependency(String name, Consumer<DependencySettings> settings) {
            Require.notBlank("dependency name", name);
            dependencies.computeIfAbsent(name, n -> new ArrayList<>()).add(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /**
         * Attaches {@code factory}'s product to every dependency for which it returns non-null
         * (e.g. an HTTP client to each dependency with an HTTP base URL).
         */
        public <T> Builder attachEverywhere(AttachmentKey<T> key, AttachmentKey.Factory<? extends T> factory) {
            everywhere.add(Map.entry(Objects.requireNonNull(key, "key"), Objects.requireNonNull(factory, "factory")));
            return this;
        }

        /** A process-level check liveness includes (never a dependency's state: rule 6). */
        public Builder livenessCheck(String name, BooleanSupplier check) {
            livenessChecks.add(Map.entry(Require.notBlank("name", name), Objects.requireNonNull(check, "check")));
            return this;
        }

        /** The runtime's bus; default a new bus chained to the root bus, which logs. */
        public Builder events(EventBus events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /** The clock for every component; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Refuse a second pool to one target instead of reporting it; default false. */
        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        /**
         * Graceful shutdown: {@code pause} (0..5 min, default 5 s) between readiness going down and
         * refusing new work; {@code budget} (1 ms..1 h, default 30 s) for the whole shutdown, after
         * which the rest is forced.
         */
        public Builder shutdown(Duration pause, Duration budget) {
            this.shutdownPause = Require.between("shutdown.pause", pause, Duration.ZERO, Duration.ofMinutes(5));
            this.shutdownBudget = Require.between("shutdown.budget", budget, Duration.ofMillis(1), Duration.ofHours(1));
            return this;
        }

        /** How long {@link Strata#start()} waits for required pools to warm up (0..10 min, default 10 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Require.between("start_timeout", timeout, Duration.ZERO, Duration.ofMinutes(10));
            return this;
        }

        public Builder connectionBudget(ConnectionBudget budget) {
            this.budget = Objects.requireNonNull(budget, "budget");
            return this;
        }

        /**
         * Validates every dependency and the connection budget, and builds the runtime's pipelines
         * and policies; pools and attachments are created by {@link Strata#start()} or on first use.
         *
         * @throws InvalidConfigurationException listing every problem found, each with its key
         */
        public Strata build() {
            Map<String, DependencySettings> settings = new LinkedHashMap<>();
            List<InvalidConfigurationException.Problem> problems = check(settings);
            if (!problems.isEmpty()) {
                throw new InvalidConfigurationException(problems);
            }
            return new Strata(this, settings);
        }

        /**
         * Every problem {@link #build()} would report, without building anything; empty when the
         * configuration is valid. Configuration loaders use it to report these problems together
         * with their own.
         */
        public List<InvalidConfigurationException.Problem> validate() {
            return check(new LinkedHashMap<>());
        }

        private List<InvalidConfigurationException.Problem> check(Map<String, DependencySettings> settings) {
            List<InvalidConfigurationException.Problem> problems = new ArrayList<>();
            if (shutdownPause.compareTo(shutdownBudget) >= 0 && !shutdownPause.isZero()) {
                problems.add(new InvalidConfigurationException.Problem("shutdown.pause",
                        "shutdown.pause: " + Durations.format(shutdownPause) + " must be shorter than shutdown.budget "
                                + Durations.format(shutdownBudget) + ", or in-flight work gets no time to finish"));
            }
            for (Map.Entry<String, List<Consumer<DependencySettings>>> e : dependencies.entrySet()) {
                DependencySettings s = new DependencySettings(e.getKey());
                try {
                    defaults.forEach(d -> d.accept(s));
                    e.getValue().forEach(d -> d.accept(s));
                    for (Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>> a : everywhere) {
                        s.attachments.putIfAbsent(a.getKey(), a.getValue());
                    }
                    if (s.httpBaseUrl != null) {
                        s.attachments.putIfAbsent(HttpClients.KEY, HttpClients.factory()); // its StrataHttpClient
                    }
                } catch (InvalidConfigurationException invalid) {
                    problems.addAll(invalid.problems());
                    continue;
                } catch (IllegalArgumentException invalid) {
                    problems.add(new InvalidConfigurationException.Problem("dependencies." + e.getKey(), invalid.getMessage()));
                    continue;
                }
                problems.addAll(validate(s));
                settings.put(e.getKey(), s);
            }
            problems.addAll(checkDeclaredBudget(settings));
            return problems;
        }

        /** Builds each policy once on the side, so every problem of every dependency is reported together. */
        private List<InvalidConfigurationException.Problem> validate(DependencySettings s) { // one dependency
            List<InvalidConfigurationException.Problem> problems = new ArrayList<>();
            String prefix = "dependencies." + s.name() + ".";
            Retry retry = null;
            try {
                if (s.retry != null) {
                    retry = s.retry.apply(Retry.builder()).build();
                }
            } catch (IllegalArgumentException invalid) {
                problems.add(new InvalidConfigurationException.Problem(prefix + "retry", invalid.getMessage()));
            }
            tryBuild(problems, prefix + "breaker", () -> {
                if (s.breaker != null) {
                    s.breaker.apply(CircuitBreaker.builder(s.name())).build();
                }
            });
            tryBuild(problems, prefix + "bulkhead", () -> {
                if (s.bulkhead != null) {
                    s.bulkhead.apply(Bulkhead.builder(s.name())).build();
                }
            });
            tryBuild(problems, prefix + "retry.budget", () -> {
                if (s.retryBudget != null) {
                    s.retryBudget.apply(RetryBudget.builder()).events(EventBus.detached()).build();
                }
            });
            tryBuild(problems, prefix + "pool", () -> {
                if (s.jdbcUrl != null) {
                    PoolTarget.jdbc(s.jdbcUrl, s.user);
                    (s.pool == null ? dev.strata.pool.PoolConfig.builder(s.name())
                            : s.pool.apply(dev.strata.pool.PoolConfig.builder(s.name())))
                            .events(EventBus.detached()).build();
                }
            });
            Retry checkedRetry = retry;
            tryBuild(problems, prefix + "deadline", () -> {
                Pipeline.Builder p = Pipeline.builder(s.name()).events(EventBus.detached());
                if (s.deadline != null) {
                    p.deadline(s.deadline);
                }
                if (s.timeout != null) {
                    p.timeout(s.timeout);
                }
                if (checkedRetry != null) {
                    p.retry(checkedRetry);
                }
                p.build(); // the pipeline's build-time budget check, with its numbers
            });
            return problems;
        }

        private static void tryBuild(List<InvalidConfigurationException.Problem> problems, String key, Runnable build) {
            try {
                build.run();
            } catch (IllegalArgumentException invalid) {
                problems.add(new InvalidConfigurationException.Problem(key, invalid.getMessage()));
            }
        }

        private List<InvalidConfigurationException.Problem> checkDeclaredBudget(Map<String, DependencySettings> settings) {
            Map<String, PoolTarget> targets = new LinkedHashMap<>();
            Map<String, Integer> maxSizes = new LinkedHashMap<>();
            Map<String, Integer> declared = new LinkedHashMap<>();
            for (DependencySettings s : settings.values()) {
                if (s.jdbcUrl == null) {
                    continue;
                }
                try {
                    PoolTarget target = PoolTarget.jdbc(s.jdbcUrl, s.user);
                    int max = (s.pool == null ? dev.strata.pool.PoolConfig.builder(s.name())
                            : s.pool.apply(dev.strata.pool.PoolConfig.builder(s.name())))
                            .events(EventBus.detached()).build().maxSize();
                    targets.put(s.name(), target);
                    maxSizes.put(s.name(), max);
                    if (s.maxConnections > 0) {
                        declared.merge(target.server(), s.maxConnections, Math::min);
                    }
                } catch (IllegalArgumentException alreadyReported) {
                    // validate() reported it with its key
                }
            }
            List<InvalidConfigurationException.Problem> problems = new ArrayList<>();
            ConnectionBudget.byServer(targets, maxSizes).forEach((server, shares) -> {
                int max = declared.getOrDefault(server, budget.maxConnections());
                if (max > 0) {
                    ConnectionBudget.Check check = new ConnectionBudget.Check(server, budget.instances(), shares, max,
                            budget.headroom(), "declared");
                    if (!check.fits()) {
                        problems.add(new InvalidConfigurationException.Problem("connection_budget",
                                "connection budget exceeded: " + check.explain()));
                    }
                }
            });
            return problems;
        }
    }
}
