package dev.strata.pool;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

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

    /** Bound on one background creation (warm-up, min-idle refill) when no caller's deadline applies. */
    static final Duration BACKGROUND_CREATE_BUDGET = Duration.ofSeconds(10);

    /** What a borrower does with a resource. */
    @FunctionalInterface
    public interface Work<R, T> {
        T apply(R resource) throws Exception;
    }

    private final PoolConfig config;
    private final ResourceFactory<R> factory;
    private final Clock clock;
    private final EventBus events;
    private final String name;

    // Borrowers that found nothing idle and no room to create wait here, in arrival order.
    // A returned resource becomes idle and is offered to the longest waiter, which is woken to
    // claim it. It is not reserved for that waiter: binding every return to a parked thread
    // costs a context switch per borrow under load (a convoy), and a waiter the scheduler is
    // slow to run would hold the resource hostage. Once the longest waiter has waited a quarter
    // of the acquisition timeout, new callers queue behind it (see someoneStarving).
    private final WaiterLine line = new WaiterLine();
    private final Semaphore creationSlots;
    // Threads of background (min-idle) creations in flight; a borrower short of a slot interrupts one.
    private final Set<Thread> backgroundCreators = ConcurrentHashMap.newKeySet();
    // Every open resource, each claimed by a CAS on its state: borrowing and returning allocate
    // nothing and take no lock. Copied on write; it changes only when a resource opens or closes.
    private volatile PoolEntry<R>[] entries = newArray(0);
    private final ReentrantLock entriesLock = new ReentrantLock();
    // Reserved before a resource is created, so racing creators never exceed maxSize.
    private final AtomicInteger total = new AtomicInteger();

    private final long acquisitionTimeoutNanos;
    private final long bypassNanos;
    private final long validationTimeoutNanos;
    private final boolean leakDetection;
    private final long starvationNanos;

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
        this.creationSlots = new Semaphore(config.creationConcurrency(), true);
        this.acquisitionTimeoutNanos = config.acquisitionTimeout().toNanos();
        this.bypassNanos = config.validationBypass().toNanos();
        this.validationTimeoutNanos = config.validationTimeout().toNanos();
        this.leakDetection = !config.leakDetectionThreshold().isZero();
        this.starvationNanos = acquisitionTimeoutNanos / 4;
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
        PoolEntry<R> entry = someoneStarving(start) ? null : claimIdle();
        Lease<R> lease;
        long waited;
        if (entry != null && readyToLend(entry, start)) {
            lease = borrow(entry, Math.max(0L, start - entry.lastVerifiedNanos));
            waited = 0L; // the fast path: an idle resource that needs no check, nothing waited for
        } else {
            lease = lend(start, Deadline.remainingNanosOr(acquisitionTimeoutNanos), entry);
            waited = clock.nanoTime() - start;
        }
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

    /**
     * Counts a stale resource that reached a borrower (validation off or racing) as an L1 finding
     * and publishes {@code pool.stale-failed}. For the layer that wraps the pool's resources (the
     * JDBC connection), which is where such a failure is first seen.
     */
    public void staleSlippedThrough(Fault stale, Fault observed) {
        staleDetected.increment();
        publish("pool.stale-failed", Level.WARNING, stale,
                "stale connection reached a caller (" + stale.detail() + ", " + stale.kind().qualifiedName()
                        + "; seen as " + observed + ")");
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
            PoolEntry<R> entry = claimed != null ? claimed : someoneStarving(clock.nanoTime()) ? null : claimIdle();
            claimed = null;
            if (entry == null) {
                if (reserveCreation()) {
                    return borrow(createForBorrower(start, end), 0L);
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
                    throw exhausted(start, budget, "budget spent validating idle resources");
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
     * Each returned resource is offered, as a hint, to the longest waiter without a hint, which
     * is woken to claim it; the resource stays claimable by anyone meanwhile, so a waiter that
     * is slow to be scheduled does not hold it up (as HikariCP's hand-off queue).
     */
    private PoolEntry<R> awaitHandOff(long start, long end, long budget) {
        WaiterLine.Waiter waiter = line.join(clock.nanoTime());
        boolean counted = true;
        try {
            for (;;) {
                if (closed) {
                    throw closedException();
                }
                if (waiter.slot() instanceof PoolEntry<?> offered) {
                    waiter.clear(offered);
                    @SuppressWarnings("unchecked")
                    PoolEntry<R> hint = (PoolEntry<R>) offered;
                    if (hint.claim(PoolEntry.IDLE, PoolEntry.IN_USE)) {
                        return hint;
                    }
                }
                // While someone starves, only the head of the line takes idle resources unoffered
                PoolEntry<R> free = line.isHead(waiter) || !someoneStarving(clock.nanoTime()) ? claimIdle() : null;
                if (free != null) {
                    return free;
                }
                if (total.get() < config.maxSize()) {
                    return null;
                }
                long left = end - clock.nanoTime();
                if (left <= 0) {
                    line.uncount(); // before the message counts who is waiting
                    counted = false;
                    throw exhausted(start, budget, "no resource became free");
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted("waiting for a resource", null);
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            if (counted) {
                line.uncount();
            }
            Object unused = line.leave(waiter);
            if (unused instanceof PoolEntry<?> hint && hint.state() == PoolEntry.IDLE) {
                line.offer(hint); // a hint we did not use: wake the next waiter for it
            } else if (!line.isEmpty() && total.get() < config.maxSize()) {
                // A "room to create" wake-up goes to one waiter only; if it was this one and it is
                // leaving (timed out, closed, interrupted), the next one must get it or it sleeps
                // its whole timeout beside free room.
                line.signalRoom();
            }
        }
    }

    /**
     * Whether the longest waiter has waited a quarter of the acquisition timeout: then new
     * callers queue behind it instead of taking idle resources first, so it cannot starve.
     */
    private boolean someoneStarving(long now) {
        return line.someoneStarving(now, starvationNanos);
    }

    /**
     * Returns a resource to circulation: idle, and offered to the longest waiter without an
     * offer, which is woken to claim it.
     */
    private void handOffOrIdle(PoolEntry<R> entry) {
        entry.makeIdle(); // a full volatile write: ordered against the look at the waiter line
        if (!line.isEmpty() && line.offer(entry)) {
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

    /**
     * Claims an idle resource, or returns null when none is. Each thread starts its scan at its
     * own slot, so a thread tends to get back the resource it used last (warm caches, and the
     * others can age out) and concurrent borrowers rarely race for the same one.
     */
    private PoolEntry<R> claimIdle() {
        PoolEntry<R>[] snapshot = entries;
        int n = snapshot.length;
        if (n == 0) {
            return null;
        }
        int first = (int) (Thread.currentThread().threadId() % n);
        for (int i = 0; i < n; i++) {
            PoolEntry<R> entry = snapshot[(first + i) % n];
            if (entry.state() == PoolEntry.IDLE && entry.claim(PoolEntry.IDLE, PoolEntry.IN_USE)) {
                return entry;
            }
        }
        return null;
    }

    private boolean reserveCreation() {
        for (;;) {
            int current = total.get();
            if (current >= config.maxSize()) {
                return false;
            }
            if (total.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <R> PoolEntry<R>[] newArray(int length) {
        return (PoolEntry<R>[]) new PoolEntry<?>[length];
    }

    private void register(PoolEntry<R> entry) {
        entriesLock.lock();
        try {
            PoolEntry<R>[] grown = Arrays.copyOf(entries, entries.length + 1);
            grown[grown.length - 1] = entry;
            entries = grown;
        } finally {
            entriesLock.unlock();
        }
    }

    private boolean unregister(PoolEntry<R> entry) {
        entriesLock.lock();
        try {
            PoolEntry<R>[] current = entries;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == entry) {
                    PoolEntry<R>[] shrunk = newArray(current.length - 1);
                    System.arraycopy(current, 0, shrunk, 0, i);
                    System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
                    entries = shrunk;
                    return true;
                }
            }
            return false;
        } finally {
            entriesLock.unlock();
        }
    }

    private int idleCount() {
        int count = 0;
        for (PoolEntry<R> entry : entries) {
            if (entry.state() == PoolEntry.IDLE) {
                count++;
            }
        }
        return count;
    }

    private Lease<R> borrow(PoolEntry<R> entry, long unverifiedIdleNanos) {
        if (leakDetection) {
            entry.borrowedAtNanos = clock.nanoTime();
            entry.leakReported = false;
            entry.borrowSite = new Throwable("acquired here");
        }
        entry.borrowed = true;
        return new Lease<>(this, entry, unverifiedIdleNanos);
    }

    private void replaceStale(PoolEntry<R> entry, long idleNanos, String verb, long checkNanos, long checkBoundNanos) {
        Fault stale = staleFault(idleNanos);
        retire(entry, verb.equals("replaced") ? EvictionReason.STALE : EvictionReason.KEEPALIVE_FAILED);
        staleDetected.increment();
        // How the check failed tells a reset (the peer said so at once) from a black hole (no
        // answer until the check's own timeout): the diagnosis reads this to name the L1 cause.
        publish("pool.stale-" + verb, Level.INFO, stale,
                verb + " stale connection (" + stale.detail() + ", " + stale.kind().qualifiedName() + "; "
                        + (checkNanos >= checkBoundNanos * 9 / 10 ? "check got no answer within " + Durations.format(checkBoundNanos)
                                : "check failed after " + Durations.format(checkNanos)) + ")");
    }

    private PoolEntry<R> createForBorrower(long start, long end) {
        long left = end - clock.nanoTime();
        boolean slot = creationSlots.tryAcquire();
        try {
            if (!slot) {
                preemptBackgroundCreation(); // borrowers come before min-idle refills
                slot = creationSlots.tryAcquire(Math.max(0L, left), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException interrupted) {
            total.decrementAndGet(); // give back the room reserved for this creation, or the pool shrinks for good
            if (line.waiting() > 0) {
                signalRoomToCreate();
            }
            Thread.currentThread().interrupt();
            throw interrupted("waiting to create a resource", interrupted);
        }
        if (!slot) {
            total.decrementAndGet();
            throw exhausted(start, end - start, "too many resources being created at once");
        }
        try {
            return create(Math.max(1L, end - clock.nanoTime()));
        } catch (RuntimeException | Error failure) {
            total.decrementAndGet();
            if (line.waiting() > 0) {
                signalRoomToCreate(); // the room we reserved is free again
            }
            throw failure;
        } finally {
            creationSlots.release();
        }
    }

    private PoolEntry<R> create(long budgetNanos) {
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
        PoolEntry<R> entry = new PoolEntry<>(resource, clock.nanoTime(), jitteredLifetimeNanos());
        register(entry);
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
                + ", idle " + idleCount() + ", waiting " + line.waiting();
        CallContext context = CallContext.current();
        if (context != null) {
            context.trace().record(Layer.RESOURCE, "pool-wait", waited, FaultKind.POOL_EXHAUSTED.qualifiedName());
        }
        return new StrataException(Fault.of(FaultKind.POOL_EXHAUSTED, "waited " + Durations.format(waited)), name, message, null);
    }

    /**
     * The borrower's thread was interrupted: its caller wants to stop. Not a shortage of
     * resources, so never retried (a retry would only be interrupted again).
     */
    private StrataException interrupted(String doing, Throwable cause) {
        return new StrataException(Fault.of(FaultKind.INTERRUPTED, doing), name, "interrupted while " + doing, cause);
    }

    private StrataException closedException() {
        return new StrataException(FaultKind.RESOURCE_CLOSED, name, "pool is closed");
    }

    // ---------------------------------------------------------------- release

    void release(PoolEntry<R> entry, Fault brokenBy) {
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
        publish("pool.reset-failed", Level.WARNING, fault, "could not reset a returned resource, closing it instead"
                + (failure == null ? "" : ": " + failure));
    }

    private void retire(PoolEntry<R> entry, EvictionReason reason) {
        entry.markRemoved();
        if (!unregister(entry)) {
            return;
        }
        total.decrementAndGet();
        closedBy.get(reason).increment();
        if (!closed && line.waiting() > 0) {
            signalRoomToCreate();
        }
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
        int needed = Math.min(config.minIdle() - idleCount(), config.maxSize() - total.get());
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
                // each creation is bounded by backgroundCreateBudgetNanos; this join only adds a margin
                thread.join(Duration.ofNanos(backgroundCreateBudgetNanos()).multipliedBy(needed + 1L));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One background creation worker. Borrowers come first: a fill never queues for a creation
     * slot, stops while anyone waits in line, and a borrower short of a slot preempts it (see
     * {@link #createForBorrower}); each creation is bounded by the acquisition timeout, so after
     * a network black hole a dead connect holds a slot no longer than a borrower's would.
     */
    private void fill(AtomicInteger remaining) {
        Thread self = Thread.currentThread();
        while (!closed && remaining.getAndDecrement() > 0) {
            Thread.interrupted(); // a preemption that arrived after the last creation ended
            if (line.waiting() > 0 || creationSlots.hasQueuedThreads() || !creationSlots.tryAcquire()) {
                return;
            }
            boolean reserved = false;
            boolean preempted = false;
            try {
                if (closed || !(reserved = reserveCreation())) {
                    return;
                }
                backgroundCreators.add(self);
                PoolEntry<R> entry;
                try {
                    entry = create(backgroundCreateBudgetNanos());
                } finally {
                    if (!backgroundCreators.remove(self)) {
                        preempted = true;
                        Thread.interrupted(); // maybe after the creation ended
                    }
                }
                reserved = false; // the entry now counts itself
                handOffOrIdle(entry);
            } catch (StrataException failure) {
                if (!preempted) {
                    publish("pool.create-failed", Level.WARNING, failure.fault(), "could not open a resource for min idle: " + failure.getMessage());
                }
                return;
            } finally {
                if (reserved) {
                    total.decrementAndGet();
                    if (line.waiting() > 0) {
                        signalRoomToCreate(); // the room this fill reserved is free again
                    }
                }
                creationSlots.release();
            }
            if (closed) {
                drainIdle();
            }
        }
    }

    /** Background creations are speculative: never longer than a borrower would wait. */
    long backgroundCreateBudgetNanos() {
        return Math.min(BACKGROUND_CREATE_BUDGET.toNanos(), acquisitionTimeoutNanos);
    }

    /**
     * Interrupts one background creation so its creation slot goes to a borrower. Returns
     * whether there was one. The fill's dead or slow connect is abandoned; the borrower creates
     * with its own budget instead.
     */
    private boolean preemptBackgroundCreation() {
        for (Thread creator : backgroundCreators) {
            if (backgroundCreators.remove(creator)) {
                creator.interrupt();
                publish("pool.fill-preempted", Level.DEBUG, null, "a background creation gave its slot to a waiting borrower");
                return true;
            }
        }
        return false;
    }

    private void retireAndPingIdle() {
        long keepaliveNanos = config.keepaliveInterval().toNanos();
        long idleTimeoutNanos = config.idleTimeout().toNanos();
        for (PoolEntry<R> entry : entries) {
            if (closed) {
                return;
            }
            if (entry.state() != PoolEntry.IDLE) {
                continue;
            }
            long now = clock.nanoTime();
            EvictionReason retireFor = entry.retirementDue(now) ? EvictionReason.MAX_LIFETIME
                    : idleTimeoutNanos > 0 && now - entry.lastReturnedNanos > idleTimeoutNanos
                            && total.get() > config.minIdle() ? EvictionReason.IDLE_TIMEOUT : null;
            boolean ping = retireFor == null && keepaliveNanos > 0 && now - entry.lastVerifiedNanos >= keepaliveNanos;
            if ((retireFor == null && !ping) || !entry.claim(PoolEntry.IDLE, PoolEntry.RESERVED)) {
                continue; // nothing due, or a borrower took it meanwhile
            }
            if (retireFor != null) {
                retire(entry, retireFor);
            } else if (factory.keepalive(entry.resource, config.validationTimeout())) {
                entry.lastVerifiedNanos = clock.nanoTime();
                handOffOrIdle(entry);
            } else {
                replaceStale(entry, now - entry.lastVerifiedNanos, "keepalive-failed", clock.nanoTime() - now,
                        config.validationTimeout().toNanos());
            }
        }
    }

    private void reportLeaks() {
        long thresholdNanos = config.leakDetectionThreshold().toNanos();
        if (thresholdNanos == 0) {
            return;
        }
        long now = clock.nanoTime();
        for (PoolEntry<R> entry : entries) {
            Throwable site = entry.borrowSite;
            if (entry.borrowed && !entry.leakReported && site != null && now - entry.borrowedAtNanos > thresholdNanos) {
                entry.leakReported = true;
                publish("pool.leak-suspected", Level.WARNING, null,
                        "resource held for " + Durations.format(now - entry.borrowedAtNanos) + ", longer than the leak threshold "
                                + Durations.format(thresholdNanos) + "; acquired at" + stackOf(site));
                leaksReported.increment(); // after the event, so whoever sees the count finds the report

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

    // The JDBC layer wraps this pool and its frames say as little about who leaked, but the pool
    // must not import it: those two are named, not referenced.
    private static final String[] OWN_FRAMES = {
        Pool.class.getName(), Lease.class.getName(), "dev.strata.jdbc.StrataDataSource", "dev.strata.jdbc.PooledConnection"};

    private static boolean isPoolFrame(String className) {
        for (String own : OWN_FRAMES) {
            if (className.equals(own) || className.startsWith(own + "$")) {
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
        return new PoolStats(name, config.maxSize(), total.get(), active(), idleCount(), line.waiting(),
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
        while (idleCount() < config.minIdle()) {
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
        line.wakeAll(); // each waiter sees the closed flag and fails at once
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

    /** Whether the pool's housekeeping thread is still running: false once {@link #close()} has finished. */
    public boolean housekeeperAlive() {
        return housekeeper.isAlive();
    }

    private void drainIdle() {
        for (PoolEntry<R> entry : entries) {
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
