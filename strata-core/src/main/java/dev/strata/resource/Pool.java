package dev.strata.resource;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.call.Durations;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded pool of expensive resources (connections, sessions) made by a {@link ResourceFactory}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>At most {@link PoolConfig#maxSize()} resources exist at once, counting idle, lent out
 *       and being created.</li>
 *   <li>Borrowers wait in FIFO order, each at most {@link PoolConfig#acquisitionTimeout()} and
 *       never past the current {@link Deadline}; giving up raises a {@link StrataException} of
 *       kind {@link FaultKind#POOL_EXHAUSTED} whose message carries the pool's size, active,
 *       idle and waiting counts and the time waited.</li>
 *   <li>A resource idle longer than the validation bypass window is validated before it is
 *       handed out; a dead one is closed and replaced transparently, counted in
 *       {@link PoolStats#staleDetected()} and published as a {@link FaultKind#STALE_CONNECTION}
 *       event (an L1 finding handled at L2).</li>
 *   <li>A resource marked broken ({@link Lease#evict}) is closed, never returned.</li>
 *   <li>{@link #close()} drains: new acquisitions and current waiters fail fast with
 *       {@link FaultKind#RESOURCE_CLOSED}, idle resources are closed now and lent ones when
 *       they come back.</li>
 * </ul>
 *
 * <p>A single virtual housekeeper thread warms the pool up to {@code minIdle} (at most
 * {@code creationConcurrency} creations at once), pings idle resources at the keepalive
 * interval, retires idle and aged resources and reports leaks. Borrowers never wait for it.
 *
 * <p>With a pipeline, acquire inside the per-attempt callable ({@link #call}) so a retry never
 * sleeps while holding a resource: {@code pipeline.call(() -> pool.call(conn -> query(conn)))}.
 *
 * @param <R> the resource type
 */
public final class Pool<R> implements AutoCloseable {

    /** Bound on one background creation (warm-up, min-idle refill) when no caller's deadline applies. */
    static final Duration BACKGROUND_CREATE_BUDGET = Duration.ofSeconds(10);

    /** What a borrower does with a resource. */
    @FunctionalInterface
    public interface Work<R, T> {
        T apply(R resource) throws Exception;
    }

    static final class Entry<R> {
        final R resource;
        final long createdNanos;
        final long retireAtNanos;
        volatile long lastReturnedNanos;
        volatile long lastVerifiedNanos;
        volatile long borrowedAtNanos;
        volatile boolean borrowed;
        volatile boolean leakReported;
        volatile Throwable borrowSite;

        Entry(R resource, long now, long lifetimeNanos) {
            this.resource = resource;
            this.createdNanos = now;
            this.retireAtNanos = lifetimeNanos <= 0 ? Long.MAX_VALUE : now + lifetimeNanos;
            this.lastReturnedNanos = now;
            this.lastVerifiedNanos = now;
        }

        boolean retirementDue(long now) {
            return retireAtNanos != Long.MAX_VALUE && now - retireAtNanos >= 0;
        }
    }

    private final PoolConfig config;
    private final ResourceFactory<R> factory;
    private final Clock clock;
    private final EventBus events;
    private final String name;

    // One permit per resource that is lent out, being created, validated or pinged. Idle
    // resources hold none, so total resources never exceed maxSize. Fair: waiters are FIFO.
    private final Semaphore permits;
    private final Semaphore creationSlots;
    // LIFO: the most recently returned resource is handed out first, keeping a hot working set
    // and letting the rest age out through the idle timeout.
    private final ConcurrentLinkedDeque<Entry<R>> idle = new ConcurrentLinkedDeque<>();
    private final Set<Entry<R>> all = ConcurrentHashMap.newKeySet();
    private final AtomicInteger total = new AtomicInteger();

    private final long acquisitionTimeoutNanos;
    private final long bypassNanos;
    private final long validationTimeoutNanos;

    private final LongAdder acquisitions = new LongAdder();
    private final LongAdder releases = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder createFailures = new LongAdder();
    private final LongAdder staleDetected = new LongAdder();
    private final LongAdder leaksReported = new LongAdder();
    private final Map<EvictionReason, LongAdder> closedBy = new EnumMap<>(EvictionReason.class);
    private final WaitHistogram waits = new WaitHistogram();

    private final ReentrantLock housekeeperLock = new ReentrantLock();
    private final Condition housekeeperWake = housekeeperLock.newCondition();
    private final Thread housekeeper;
    private volatile boolean closed;

    private Pool(PoolConfig config, ResourceFactory<R> factory) {
        this.config = Objects.requireNonNull(config, "config");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.clock = config.clock();
        this.events = config.events();
        this.name = config.name();
        this.permits = new Semaphore(config.maxSize(), true);
        this.creationSlots = new Semaphore(config.creationConcurrency(), true);
        this.acquisitionTimeoutNanos = config.acquisitionTimeout().toNanos();
        this.bypassNanos = config.validationBypass().toNanos();
        this.validationTimeoutNanos = config.validationTimeout().toNanos();
        for (EvictionReason reason : EvictionReason.values()) {
            closedBy.put(reason, new LongAdder());
        }
        this.housekeeper = Thread.ofVirtual().name("strata-pool-" + name + "-housekeeper").unstarted(this::housekeep);
    }

    /** Opens a pool; its housekeeper starts warming up to {@code minIdle} at once, in the background. */
    public static <R> Pool<R> open(PoolConfig config, ResourceFactory<R> factory) {
        Pool<R> pool = new Pool<>(config, factory);
        pool.housekeeper.start();
        return pool;
    }

    public PoolConfig config() {
        return config;
    }

    public String name() {
        return name;
    }

    // ---------------------------------------------------------------- acquisition

    /**
     * Borrows a resource, waiting at most the acquisition timeout and never past the current
     * deadline. The caller must close the lease.
     *
     * @throws StrataException {@link FaultKind#POOL_EXHAUSTED} when no resource became free in
     *     time; {@link FaultKind#RESOURCE_CLOSED} when the pool is closed; the classified fault
     *     of the factory when a new resource could not be created
     */
    public Lease<R> acquire() {
        if (closed) {
            throw closedException();
        }
        long start = clock.nanoTime();
        long budget = Deadline.remainingNanosOr(acquisitionTimeoutNanos);
        boolean permitted;
        try {
            permitted = permits.tryAcquire(budget, TimeUnit.NANOSECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new StrataException(FaultKind.POOL_EXHAUSTED, name, "interrupted while waiting for a resource", interrupted);
        }
        if (!permitted) {
            throw exhausted(start, budget, "no resource became free");
        }
        if (closed) {
            permits.release();
            throw closedException();
        }
        Lease<R> lease;
        try {
            lease = lend(start, budget);
        } catch (RuntimeException | Error failure) {
            permits.release();
            throw failure;
        }
        long waited = clock.nanoTime() - start;
        waits.record(waited);
        acquisitions.increment();
        CallContext context = CallContext.current();
        if (context != null) {
            context.trace().record(Layer.RESOURCE, "pool-wait", waited, "ok");
        }
        return lease;
    }

    /**
     * Borrows a resource, runs {@code work} with it and gives it back, whatever happens. A
     * failure that the factory's classifier says poisons the resource evicts it; a failure on
     * the wire of a resource that sat idle unverified for longer than the validation bypass
     * window is rethrown as a {@link FaultKind#STALE_CONNECTION} {@link StrataException} (with
     * the idle time) and counted as stale, because that is what it is.
     *
     * <p>This is the per-attempt unit for a retry pipeline: the resource is released before
     * the pipeline backs off.
     */
    public <T> T call(Work<? super R, ? extends T> work) throws Exception {
        Lease<R> lease = acquire();
        try {
            return work.apply(lease.get());
        } catch (Exception failure) {
            throw onFailure(lease, failure);
        } finally {
            lease.close();
        }
    }

    private Exception onFailure(Lease<R> lease, Exception failure) {
        Fault fault = factory.classifier().classify(failure);
        if (!factory.poisons(fault)) {
            return failure;
        }
        if (fault.layer() == Layer.NETWORK && fault.kind() != FaultKind.STALE_CONNECTION
                && lease.unverifiedIdleNanos() >= bypassNanos) {
            Fault stale = staleFault(lease.unverifiedIdleNanos());
            lease.evict(stale);
            staleSlippedThrough(stale, fault);
            return new StrataException(stale, name, "connection failed on first use after idling: " + fault, failure);
        }
        lease.evict(fault);
        return failure;
    }

    /** Counts a stale resource that reached a borrower (validation off or racing) as an L1 finding. */
    void staleSlippedThrough(Fault stale, Fault observed) {
        staleDetected.increment();
        publish("pool.stale-failed", Level.WARNING, stale,
                "stale connection reached a caller (" + stale.detail() + ", " + stale.kind().qualifiedName()
                        + "; seen as " + observed + ")");
    }

    Fault staleFault(long idleNanos) {
        return Fault.of(FaultKind.STALE_CONNECTION, "idle " + Durations.format(idleNanos));
    }

    private Lease<R> lend(long start, long budget) {
        long end = start + budget;
        for (;;) {
            Entry<R> entry = idle.pollFirst();
            if (entry == null) {
                entry = createForBorrower(start, end);
                return borrow(entry, 0L);
            }
            long now = clock.nanoTime();
            if (entry.retirementDue(now)) {
                retire(entry, EvictionReason.MAX_LIFETIME);
                continue;
            }
            long unverified = now - entry.lastVerifiedNanos;
            if (config.validateIdle() && unverified > bypassNanos) {
                long left = end - now;
                if (left <= 0) {
                    idle.offerFirst(entry);
                    throw exhausted(start, budget, "budget spent validating idle resources");
                }
                if (!factory.validate(entry.resource, Duration.ofNanos(Math.min(validationTimeoutNanos, left)))) {
                    replaceStale(entry, unverified, "replaced");
                    continue;
                }
                entry.lastVerifiedNanos = clock.nanoTime();
                unverified = 0L;
            }
            return borrow(entry, unverified);
        }
    }

    private Lease<R> borrow(Entry<R> entry, long unverifiedIdleNanos) {
        entry.borrowedAtNanos = clock.nanoTime();
        entry.leakReported = false;
        entry.borrowSite = config.leakDetectionThreshold().isZero() ? null : new Throwable("acquired here");
        entry.borrowed = true;
        return new Lease<>(this, entry, unverifiedIdleNanos);
    }

    private void replaceStale(Entry<R> entry, long idleNanos, String verb) {
        Fault stale = staleFault(idleNanos);
        retire(entry, verb.equals("replaced") ? EvictionReason.STALE : EvictionReason.KEEPALIVE_FAILED);
        staleDetected.increment();
        publish("pool.stale-" + verb, Level.INFO, stale,
                verb + " stale connection (" + stale.detail() + ", " + stale.kind().qualifiedName() + ")");
    }

    private Entry<R> createForBorrower(long start, long end) {
        long left = end - clock.nanoTime();
        boolean slot;
        try {
            slot = creationSlots.tryAcquire(Math.max(0L, left), TimeUnit.NANOSECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new StrataException(FaultKind.POOL_EXHAUSTED, name, "interrupted while waiting to create a resource", interrupted);
        }
        if (!slot) {
            throw exhausted(start, end - start, "too many resources being created at once");
        }
        try {
            return create(Math.max(1L, end - clock.nanoTime()));
        } finally {
            creationSlots.release();
        }
    }

    private Entry<R> create(long budgetNanos) {
        R resource;
        try {
            resource = Deadline.after(Duration.ofNanos(budgetNanos), clock).call(factory::create);
        } catch (Exception failure) {
            createFailures.increment();
            Fault fault = factory.classifier().classify(failure);
            if (failure instanceof StrataException strata && name.equals(strata.dependency())) {
                throw strata;
            }
            throw new StrataException(fault, name, "could not open a new resource: " + failure.getMessage(), failure);
        }
        if (resource == null) {
            createFailures.increment();
            throw new StrataException(FaultKind.RESOURCE_CLOSED, name, "resource factory returned null");
        }
        Entry<R> entry = new Entry<>(resource, clock.nanoTime(), jitteredLifetimeNanos());
        all.add(entry);
        total.incrementAndGet();
        created.increment();
        return entry;
    }

    private long jitteredLifetimeNanos() {
        long lifetime = config.maxLifetime().toNanos();
        if (lifetime == 0 || config.lifetimeJitter() == 0) {
            return lifetime;
        }
        long jitter = (long) (lifetime * config.lifetimeJitter() * ThreadLocalRandom.current().nextDouble());
        return lifetime - jitter;
    }

    private StrataException exhausted(long start, long budget, String why) {
        timeouts.increment();
        long waited = clock.nanoTime() - start;
        waits.record(waited);
        boolean deadlineBound = budget < acquisitionTimeoutNanos;
        String message = "pool exhausted: " + why + " within " + Durations.format(waited)
                + (deadlineBound ? " (bounded by the call deadline; acquisition timeout "
                        + Durations.format(acquisitionTimeoutNanos) + ")"
                        : " (acquisition timeout " + Durations.format(acquisitionTimeoutNanos) + ")")
                + "; size " + total.get() + "/" + config.maxSize() + ", active " + active()
                + ", idle " + idle.size() + ", waiting " + permits.getQueueLength();
        CallContext context = CallContext.current();
        if (context != null) {
            context.trace().record(Layer.RESOURCE, "pool-wait", waited, FaultKind.POOL_EXHAUSTED.qualifiedName());
        }
        return new StrataException(Fault.of(FaultKind.POOL_EXHAUSTED, "waited " + Durations.format(waited)), name, message, null);
    }

    private StrataException closedException() {
        return new StrataException(FaultKind.RESOURCE_CLOSED, name, "pool is closed");
    }

    // ---------------------------------------------------------------- release

    void release(Entry<R> entry, Fault brokenBy) {
        entry.borrowed = false;
        entry.borrowSite = null;
        releases.increment();
        try {
            if (closed) {
                retire(entry, EvictionReason.POOL_CLOSED);
            } else if (brokenBy != null) {
                retire(entry, EvictionReason.BROKEN);
            } else if (!resetQuietly(entry)) {
                retire(entry, EvictionReason.RESET_FAILED);
            } else {
                long now = clock.nanoTime();
                if (entry.retirementDue(now)) {
                    retire(entry, EvictionReason.MAX_LIFETIME);
                } else {
                    entry.lastReturnedNanos = now;
                    entry.lastVerifiedNanos = now;
                    idle.offerFirst(entry);
                }
            }
        } finally {
            permits.release();
        }
        if (closed) {
            drainIdle(); // the pool closed while this resource was being returned
        }
    }

    private boolean resetQuietly(Entry<R> entry) {
        try {
            return factory.reset(entry.resource);
        } catch (RuntimeException failure) {
            return false;
        }
    }

    private void retire(Entry<R> entry, EvictionReason reason) {
        if (!all.remove(entry)) {
            return;
        }
        total.decrementAndGet();
        closedBy.get(reason).increment();
        try {
            factory.close(entry.resource);
        } catch (RuntimeException ignored) {
            // closing a broken resource may fail; it is gone either way
        }
    }

    // ---------------------------------------------------------------- housekeeping

    private void housekeep() {
        // Ping often enough that no idle resource goes much past its keepalive interval unpinged.
        long keepaliveNanos = config.keepaliveInterval().toNanos();
        long tickNanos = config.housekeepingInterval().toNanos();
        if (keepaliveNanos > 0) {
            tickNanos = Math.max(10_000_000L, Math.min(tickNanos, keepaliveNanos / 2));
        }
        while (!closed) {
            try {
                fillToMinIdle();
                retireAndPingIdle();
                reportLeaks();
            } catch (RuntimeException unexpected) {
                publish("pool.housekeeping-failed", Level.WARNING, null, "housekeeping failed: " + unexpected);
            }
            housekeeperLock.lock();
            try {
                if (!closed) {
                    housekeeperWake.awaitNanos(tickNanos);
                }
            } catch (InterruptedException interrupted) {
                return;
            } finally {
                housekeeperLock.unlock();
            }
        }
    }

    private void fillToMinIdle() {
        int needed = Math.min(config.minIdle() - idle.size(), config.maxSize() - total.get());
        if (needed <= 0 || closed) {
            return;
        }
        int workers = Math.min(needed, config.creationConcurrency());
        AtomicInteger remaining = new AtomicInteger(needed);
        List<Thread> threads = new ArrayList<>(workers);
        for (int i = 0; i < workers; i++) {
            threads.add(Thread.ofVirtual().name("strata-pool-" + name + "-filler").start(() -> fill(remaining)));
        }
        for (Thread thread : threads) {
            try {
                // each creation is bounded by BACKGROUND_CREATE_BUDGET; this join only adds a margin
                thread.join(BACKGROUND_CREATE_BUDGET.multipliedBy(needed + 1L));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void fill(AtomicInteger remaining) {
        while (!closed && remaining.getAndDecrement() > 0) {
            if (!permits.tryAcquire()) {
                return; // everything is lent out: borrowers will create what they need
            }
            boolean slot = false;
            try {
                slot = creationSlots.tryAcquire(BACKGROUND_CREATE_BUDGET.toNanos(), TimeUnit.NANOSECONDS);
                if (!slot || closed) {
                    return;
                }
                Entry<R> entry = create(BACKGROUND_CREATE_BUDGET.toNanos());
                idle.offerLast(entry);
            } catch (StrataException failure) {
                publish("pool.create-failed", Level.WARNING, failure.fault(), "could not open a resource for min idle: " + failure.getMessage());
                return;
            } catch (InterruptedException interrupted) {
                return;
            } finally {
                if (slot) {
                    creationSlots.release();
                }
                permits.release();
            }
            if (closed) {
                drainIdle();
            }
        }
    }

    private void retireAndPingIdle() {
        long keepaliveNanos = config.keepaliveInterval().toNanos();
        long idleTimeoutNanos = config.idleTimeout().toNanos();
        for (Entry<R> entry : idle) {
            if (closed) {
                return;
            }
            long now = clock.nanoTime();
            EvictionReason retireFor = entry.retirementDue(now) ? EvictionReason.MAX_LIFETIME
                    : idleTimeoutNanos > 0 && now - entry.lastReturnedNanos > idleTimeoutNanos
                            && total.get() > config.minIdle() ? EvictionReason.IDLE_TIMEOUT : null;
            boolean ping = retireFor == null && keepaliveNanos > 0 && now - entry.lastVerifiedNanos >= keepaliveNanos;
            if ((retireFor == null && !ping) || !permits.tryAcquire()) {
                continue;
            }
            try {
                if (!idle.remove(entry)) {
                    continue; // a borrower took it meanwhile
                }
                if (retireFor != null) {
                    retire(entry, retireFor);
                } else if (factory.keepalive(entry.resource, config.validationTimeout())) {
                    entry.lastVerifiedNanos = clock.nanoTime();
                    idle.offerLast(entry);
                } else {
                    replaceStale(entry, now - entry.lastVerifiedNanos, "keepalive-failed");
                }
            } finally {
                permits.release();
            }
        }
    }

    private void reportLeaks() {
        long thresholdNanos = config.leakDetectionThreshold().toNanos();
        if (thresholdNanos == 0) {
            return;
        }
        long now = clock.nanoTime();
        for (Entry<R> entry : all) {
            Throwable site = entry.borrowSite;
            if (entry.borrowed && !entry.leakReported && site != null && now - entry.borrowedAtNanos > thresholdNanos) {
                entry.leakReported = true;
                leaksReported.increment();
                publish("pool.leak-suspected", Level.WARNING, null,
                        "resource held for " + Durations.format(now - entry.borrowedAtNanos) + ", longer than the leak threshold "
                                + Durations.format(thresholdNanos) + "; acquired at" + stackOf(site));
            }
        }
    }

    private static String stackOf(Throwable site) {
        StringBuilder text = new StringBuilder();
        StackTraceElement[] frames = site.getStackTrace();
        int first = 0;
        while (first < frames.length && isPoolFrame(frames[first].getClassName())) {
            first++; // the pool's own frames say nothing about who leaked
        }
        for (int i = first; i < Math.min(frames.length, first + 12); i++) {
            text.append("\n\tat ").append(frames[i]);
        }
        return text.toString();
    }

    private static boolean isPoolFrame(String className) {
        for (Class<?> own : new Class<?>[] {Pool.class, Lease.class, StrataDataSource.class, PooledConnection.class}) {
            if (className.equals(own.getName()) || className.startsWith(own.getName() + "$")) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- observation

    /** A snapshot of the pool's gauges and counters. */
    public PoolStats stats() {
        Map<EvictionReason, Long> closedCounts = new EnumMap<>(EvictionReason.class);
        closedBy.forEach((reason, count) -> closedCounts.put(reason, count.sum()));
        return new PoolStats(name, config.maxSize(), total.get(), active(), idle.size(), permits.getQueueLength(),
                acquisitions.sum(), timeouts.sum(), created.sum(), createFailures.sum(), closedCounts,
                staleDetected.sum(), leaksReported.sum(), waits.percentile(0.50), waits.percentile(0.99), waits.max());
    }

    private int active() {
        return (int) Math.max(0L, acquisitions.sum() - releases.sum());
    }

    /**
     * Waits until the pool holds at least {@code minIdle} idle resources, for at most
     * {@code timeout}. Useful at startup, so the first requests do not pay for connecting.
     *
     * @return whether the pool was warm in time
     */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (idle.size() < config.minIdle()) {
            if (closed || System.nanoTime() - end >= 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private void publish(String type, Level level, Fault fault, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.RESOURCE, level, fault, message));
        }
    }

    // ---------------------------------------------------------------- shutdown

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Drains the pool: refuses new acquisitions, fails current waiters fast, closes idle
     * resources now and lent ones when they are returned. Waits up to a few seconds for the
     * housekeeper to stop. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Wake every waiter; each sees the closed flag, gives its permit back and fails.
        permits.release(Integer.MAX_VALUE / 2);
        housekeeperLock.lock();
        try {
            housekeeperWake.signalAll();
        } finally {
            housekeeperLock.unlock();
        }
        drainIdle();
        try {
            housekeeper.join(Duration.ofSeconds(5));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        drainIdle();
    }

    /** Whether the housekeeper thread is still running; for tests of shutdown. */
    boolean housekeeperAlive() {
        return housekeeper.isAlive();
    }

    private void drainIdle() {
        Entry<R> entry;
        while ((entry = idle.pollFirst()) != null) {
            retire(entry, EvictionReason.POOL_CLOSED);
        }
    }

    @Override
    public String toString() {
        return "Pool[" + stats() + "]";
    }
}
