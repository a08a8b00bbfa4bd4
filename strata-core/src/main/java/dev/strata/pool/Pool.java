package dev.strata.pool;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded pool of expensive resources (connections, sessions) made by a {@link ResourceFactory}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>At most {@link PoolConfig#maxSize()} resources exist at once, counting idle, lent out
 *       and being created.</li>
 *   <li>Borrowers wait in line, each at most {@link PoolConfig#acquisitionTimeout()} and never
 *       past the current {@link Deadline}; each returned resource is offered to the longest
 *       waiter first (like HikariCP, a caller arriving at that moment may still take it, until the
 *       longest waiter has waited a quarter of its timeout: then newcomers queue behind it).
 *       Giving up raises a {@link StrataException} of
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

    /** What a borrower does with a resource. */
    @FunctionalInterface
    public interface Work<R, T> {
        T apply(R resource) throws Exception;
    }

    private final PoolConfig config;
    private final ResourceFactory<R> factory;
    private final Clock clock;
    private final String name;

    // Borrowers that found nothing idle and no room to create wait here, in arrival order. A
    // returned resource is offered to the longest waiter but not reserved for it (see WaiterLine);
    // once a waiter has waited a quarter of the acquisition timeout (starvationNanos), new callers
    // queue behind the line instead of taking idle resources first, so no waiter starves.
    private final WaiterLine line = new WaiterLine();
    private final PoolEntries<R> entries;
    private final PoolMetrics metrics;
    private final PoolEvents events;
    private final PoolCreator<R> creator;
    private final PoolHousekeeper<R> housekeeper;

    private final long acquisitionTimeoutNanos;
    private final long bypassNanos;
    private final long validationTimeoutNanos;
    private final boolean leakDetection;
    private final long starvationNanos;
    private volatile boolean closed;

    private Pool(PoolConfig config, ResourceFactory<R> factory) {
        this.config = Objects.requireNonNull(config, "config");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.clock = config.clock();
        this.name = config.name();
        this.entries = new PoolEntries<>(config.maxSize());
        this.metrics = new PoolMetrics(config, entries, line);
        this.events = new PoolEvents(config);
        this.acquisitionTimeoutNanos = config.acquisitionTimeout().toNanos();
        this.bypassNanos = config.validationBypass().toNanos();
        this.validationTimeoutNanos = config.validationTimeout().toNanos();
        this.leakDetection = !config.leakDetectionThreshold().isZero();
        this.starvationNanos = acquisitionTimeoutNanos / 4;
        this.creator = new PoolCreator<>(this, config, factory, entries, line, metrics, events);
        this.housekeeper = new PoolHousekeeper<>(this, config, factory, entries, creator, metrics, events);
    }

    /** Opens a pool; its housekeeper starts warming up to {@code minIdle} at once, in the background. */
    public static <R> Pool<R> open(PoolConfig config, ResourceFactory<R> factory) {
        Pool<R> pool = new Pool<>(config, factory);
        pool.housekeeper.start();
        return pool;
    }

    /**
     * A pool without its housekeeper thread (no warm-up, keepalive, retirement or leak
     * reports): for interleaving tests of borrowing, returning and closing alone, which create
     * thousands of pools.
     */
    static <R> Pool<R> openWithoutHousekeeper(PoolConfig config, ResourceFactory<R> factory) {
        return new Pool<>(config, factory);
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
        PoolEntry<R> entry = line.someoneStarving() ? null : entries.claimIdle();
        Lease<R> lease;
        long waited;
        if (entry != null && readyToLend(entry, start)) {
            // the fast path: an idle resource that needs no check, nothing waited for
            lease = borrow(entry, Math.max(0L, start - entry.lastVerifiedNanos));
            entry.countLentWithoutWaiting();
            waited = 0L;
        } else {
            lease = lend(start, Deadline.remainingNanosOr(acquisitionTimeoutNanos), entry);
            waited = clock.nanoTime() - start;
            metrics.acquired(waited);
        }
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

    /**
     * Counts a stale resource that reached a borrower (validation off or racing) as an L1 finding
     * and publishes {@code pool.stale-failed}. For the layer that wraps the pool's resources (the
     * JDBC connection), which is where such a failure is first seen.
     */
    public void staleSlippedThrough(Fault stale, Fault observed) {
        metrics.staleDetected();
        events.staleFailed(stale, observed);
    }

    /** The fault that names a resource idle for {@code idleNanos} without proof of life as stale (L1). */
    public Fault staleFault(long idleNanos) {
        return Fault.of(FaultKind.STALE_CONNECTION, "idle " + Durations.format(idleNanos));
    }

    private boolean readyToLend(PoolEntry<R> entry, long now) {
        return !entry.retirementDue(now) && !(config.validateIdle() && now - entry.lastVerifiedNanos > bypassNanos);
    }

    /** The slow path: validation, retirement, creation or waiting; starts from {@code claimed} when not null. */
    private Lease<R> lend(long start, long budget, PoolEntry<R> claimed) {
        long end = start + budget;
        for (;;) {
            PoolEntry<R> entry = claimed != null ? claimed : line.someoneStarving() ? null : entries.claimIdle();
            claimed = null;
            if (entry == null) {
                if (entries.reserveRoom()) {
                    return borrow(creator.createForBorrower(start, end), 0L);
                }
                entry = awaitHandOff(start, end, budget);
                if (entry == null) {
                    continue; // room to create appeared
                }
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
                    handOffOrIdle(entry);
                    throw metrics.exhausted(start, budget, "budget spent validating idle resources");
                }
                long checkStart = clock.nanoTime();
                long checkBound = Math.min(validationTimeoutNanos, left);
                if (!factory.validate(entry.resource, Duration.ofNanos(checkBound))) {
                    replaceStale(entry, unverified, "replaced", clock.nanoTime() - checkStart, checkBound);
                    continue;
                }
                entry.lastVerifiedNanos = clock.nanoTime();
                unverified = 0L;
            }
            return borrow(entry, unverified);
        }
    }

    /**
     * Waits in line for a resource. Returns one, or null when there is room to create one.
     * Each returned resource is offered, as a hint, to the longest waiter, which leaves the line
     * with it and is woken to claim it; the resource stays claimable by anyone meanwhile, so a
     * waiter that is slow to be scheduled does not hold it up (as HikariCP's hand-off queue). A
     * waiter that finds its hint taken goes back to the front of the line.
     */
    private PoolEntry<R> awaitHandOff(long start, long end, long budget) {
        WaiterLine.Waiter waiter = line.join(clock.nanoTime());
        boolean counted = true;
        boolean inLine = true;
        try {
            for (;;) {
                if (closed) {
                    throw closedException();
                }
                if (waiter.slot() instanceof PoolEntry<?> offered) {
                    waiter.clear(offered); // the offer took this waiter out of the line
                    inLine = false;
                    @SuppressWarnings("unchecked")
                    PoolEntry<R> hint = (PoolEntry<R>) offered;
                    if (hint.claim(PoolEntry.IDLE, PoolEntry.IN_USE)) {
                        return hint;
                    }
                    line.rejoinAtFront(waiter); // someone was quicker: back to the front, then look again
                    inLine = true;
                }
                // While someone starves, only the head of the line takes idle resources unoffered
                long untilStarving = line.markIfStarving(waiter, clock.nanoTime(), starvationNanos);
                PoolEntry<R> free = line.isHead(waiter) || !line.someoneStarving() ? entries.claimIdle() : null;
                if (free != null) {
                    return free;
                }
                if (entries.hasRoom()) {
                    return null;
                }
                long left = end - clock.nanoTime();
                if (left <= 0) {
                    line.uncount(); // before the message counts who is waiting
                    counted = false;
                    throw metrics.exhausted(start, budget, "no resource became free");
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted("waiting for a resource", null);
                }
                LockSupport.parkNanos(this, Math.min(left, untilStarving)); // wake to be counted as starving
            }
        } finally {
            if (counted) {
                line.uncount();
            }
            Object unused = line.leave(waiter, inLine);
            if (unused instanceof PoolEntry<?> hint && hint.state() == PoolEntry.IDLE) {
                line.offer(hint); // a hint we did not use: wake the next waiter for it
            } else if (line.waiting() > 0 && entries.hasRoom()) {
                // A "room to create" wake-up goes to one waiter only; if it was this one and it is
                // leaving (timed out, closed, interrupted), the next one must get it or it sleeps
                // its whole timeout beside free room.
                line.signalRoom();
            }
        }
    }

    /**
     * Returns a resource to circulation: idle, and offered to the longest waiter, which leaves
     * the line with it and is woken to claim it.
     */
    void handOffOrIdle(PoolEntry<R> entry) {
        entry.makeIdle(); // a full volatile write: ordered against the look at the waiter line
        // The waiting count, not the line: one read of a counter, and a borrower counts itself
        // before it joins and looks for idle resources after, so either it sees this one idle
        // or this sees it waiting
        if (line.waiting() > 0 && line.offer(entry)) {
            // Give the woken waiter a moment of CPU before this thread can borrow again; on a
            // busy machine the returner would otherwise take back its own resource every time.
            for (int i = 0; i < 16 && entry.state() == PoolEntry.IDLE; i++) {
                Thread.yield();
            }
        }
    }

    /** Room to create appeared: wake the longest waiter still in line (see {@link WaiterLine#signalRoom}). */
    void signalRoomToCreate() {
        line.signalRoom();
    }

    private Lease<R> borrow(PoolEntry<R> entry, long unverifiedIdleNanos) {
        if (leakDetection) {
            entry.borrowedAtNanos = clock.nanoTime();
            entry.leakReported = false;
            entry.borrowSite = new Throwable("acquired here");
        }
        entry.markBorrowed();
        return new Lease<>(this, entry, unverifiedIdleNanos);
    }

    void replaceStale(PoolEntry<R> entry, long idleNanos, String verb, long checkNanos, long checkBoundNanos) {
        Fault stale = staleFault(idleNanos);
        retire(entry, verb.equals("replaced") ? EvictionReason.STALE : EvictionReason.KEEPALIVE_FAILED);
        metrics.staleDetected();
        events.staleFound(verb, stale, checkNanos, checkBoundNanos);
    }

    /**
     * The borrower's thread was interrupted: its caller wants to stop. Not a shortage of
     * resources, so never retried (a retry would only be interrupted again).
     */
    StrataException interrupted(String doing, Throwable cause) {
        return new StrataException(Fault.of(FaultKind.INTERRUPTED, doing), name, "interrupted while " + doing, cause);
    }

    private StrataException closedException() {
        return new StrataException(FaultKind.RESOURCE_CLOSED, name, "pool is closed");
    }

    // ---------------------------------------------------------------- release

    void release(PoolEntry<R> entry, Fault brokenBy) {
        entry.markUnborrowed();
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
                    entry.markReturned(now);
                    handOffOrIdle(entry);
                }
            }
        } catch (RuntimeException | Error unexpected) {
            retire(entry, EvictionReason.RESET_FAILED);
            throw unexpected;
        }
        if (closed) {
            drainIdle(); // the pool closed while this resource was being returned
        }
    }

    private boolean resetQuietly(PoolEntry<R> entry) {
        try {
            if (factory.reset(entry.resource)) {
                return true;
            }
            resetFailed(null, null);
            return false;
        } catch (RuntimeException failure) {
            resetFailed(null, failure);
            return false;
        }
    }

    /**
     * A returned resource could not be reset for the next borrower and is closed instead: said
     * out loud, because a stream of these means sessions are left dirty or the peer is gone.
     */
    public void resetFailed(Fault fault, Throwable failure) {
        events.resetFailed(fault, failure);
    }

    void retire(PoolEntry<R> entry, EvictionReason reason) {
        entry.markRemoved();
        if (!entries.unregister(entry)) {
            return;
        }
        entries.freeRoom();
        metrics.closed(reason);
        if (!closed && line.waiting() > 0) {
            signalRoomToCreate();
        }
        try {
            factory.close(entry.resource);
        } catch (RuntimeException ignored) {
            // closing a broken resource may fail; it is gone either way
        }
    }

    // ---------------------------------------------------------------- observation

    /** A snapshot of the pool's gauges and counters. */
    public PoolStats stats() {
        return metrics.snapshot();
    }

    /**
     * Waits until the pool holds at least {@code minIdle} idle resources, for at most
     * {@code timeout}. Useful at startup, so the first requests do not pay for connecting.
     *
     * @return whether the pool was warm in time
     */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (entries.idleCount() < config.minIdle()) {
            if (closed || System.nanoTime() - end >= 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
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
        line.wakeAll(); // each waiter sees the closed flag and fails at once
        housekeeper.wakeUp();
        drainIdle();
        housekeeper.awaitStop(Duration.ofSeconds(5));
        drainIdle();
    }

    /** Whether the pool's housekeeping thread is still running: false once {@link #close()} has finished. */
    public boolean housekeeperAlive() {
        return housekeeper.isAlive();
    }

    void drainIdle() {
        for (PoolEntry<R> entry : entries.snapshot()) {
            if (entry.claim(PoolEntry.IDLE, PoolEntry.REMOVED)) {
                retire(entry, EvictionReason.POOL_CLOSED);
            }
        }
    }

    @Override
    public String toString() {
        return "Pool[" + stats() + "]";
    }
}
