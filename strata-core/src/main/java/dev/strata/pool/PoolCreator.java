package dev.strata.pool;

import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens a {@link Pool}'s resources: one at a time for a borrower that found nothing idle, within
 * the borrower's own time, and in the background up to {@code minIdle} when the housekeeper asks.
 * At most {@link PoolConfig#creationConcurrency()} creations run at once, and the room for each
 * is reserved first, so racing creators never exceed {@code maxSize}.
 */
final class PoolCreator<R> {

    /** Bound on one background creation (warm-up, min-idle refill) when no caller's deadline applies. */
    static final Duration BACKGROUND_CREATE_BUDGET = Duration.ofSeconds(10);

    private final Pool<R> pool;
    private final PoolConfig config;
    private final ResourceFactory<R> factory;
    private final Clock clock;
    private final String name;
    private final PoolEntries<R> entries;
    private final WaiterLine line;
    private final PoolMetrics metrics;
    private final PoolEvents events;
    private final long acquisitionTimeoutNanos;
    private final Semaphore creationSlots;
    // Threads of background (min-idle) creations in flight; a borrower short of a slot interrupts one.
    private final Set<Thread> backgroundCreators = ConcurrentHashMap.newKeySet();

    PoolCreator(Pool<R> pool, PoolConfig config, ResourceFactory<R> factory, PoolEntries<R> entries, WaiterLine line,
                PoolMetrics metrics, PoolEvents events) {
        this.pool = pool;
        this.config = config;
        this.factory = factory;
        this.clock = config.clock();
        this.name = config.name();
        this.entries = entries;
        this.line = line;
        this.metrics = metrics;
        this.events = events;
        this.acquisitionTimeoutNanos = config.acquisitionTimeout().toNanos();
        this.creationSlots = new Semaphore(config.creationConcurrency(), true);
    }

    /**
     * Creates a resource for a borrower whose room is already reserved, by {@code end}. Gives the
     * room back when it fails.
     */
    PoolEntry<R> createForBorrower(long start, long end) {
        long left = end - clock.nanoTime();
        boolean slot = creationSlots.tryAcquire();
        try {
            if (!slot) {
                preemptBackgroundCreation(); // borrowers come before min-idle refills
                slot = creationSlots.tryAcquire(Math.max(0L, left), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException interrupted) {
            entries.freeRoom(); // give back the room reserved for this creation, or the pool shrinks for good
            if (line.waiting() > 0) {
                pool.signalRoomToCreate();
            }
            Thread.currentThread().interrupt();
            throw pool.interrupted("waiting to create a resource", interrupted);
        }
        if (!slot) {
            entries.freeRoom();
            throw metrics.exhausted(start, end - start, "too many resources being created at once");
        }
        try {
            return create(Math.max(1L, end - clock.nanoTime()));
        } catch (RuntimeException | Error failure) {
            entries.freeRoom();
            if (line.waiting() > 0) {
                pool.signalRoomToCreate(); // the room we reserved is free again
            }
            throw failure;
        } finally {
            creationSlots.release();
        }
    }

    /** Opens resources until {@code minIdle} are idle (or the pool is full), {@code creationConcurrency} at once. */
    void fillToMinIdle() {
        int needed = Math.min(config.minIdle() - entries.idleCount(), config.maxSize() - entries.total());
        if (needed <= 0 || pool.isClosed()) {
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
        while (!pool.isClosed() && remaining.getAndDecrement() > 0) {
            Thread.interrupted(); // a preemption that arrived after the last creation ended
            if (line.waiting() > 0 || creationSlots.hasQueuedThreads() || !creationSlots.tryAcquire()) {
                return;
            }
            boolean reserved = false;
            boolean preempted = false;
            try {
                if (pool.isClosed() || !(reserved = entries.reserveRoom())) {
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
                pool.handOffOrIdle(entry);
            } catch (StrataException failure) {
                if (!preempted) {
                    events.publish("pool.create-failed", Level.WARNING, failure.fault(), "could not open a resource for min idle: " + failure.getMessage());
                }
                return;
            } finally {
                if (reserved) {
                    entries.freeRoom();
                    if (line.waiting() > 0) {
                        pool.signalRoomToCreate(); // the room this fill reserved is free again
                    }
                }
                creationSlots.release();
            }
            if (pool.isClosed()) {
                pool.drainIdle();
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
                events.publish("pool.fill-preempted", Level.DEBUG, null, "a background creation gave its slot to a waiting borrower");
                return true;
            }
        }
        return false;
    }

    private PoolEntry<R> create(long budgetNanos) {
        R resource;
        try {
            resource = Deadline.after(Duration.ofNanos(budgetNanos), clock).call(factory::create);
        } catch (Exception failure) {
            metrics.createFailed();
            Fault fault = factory.classifier().classify(failure);
            if (failure instanceof StrataException strata && name.equals(strata.dependency())) {
                throw strata;
            }
            throw new StrataException(fault, name, "could not open a new resource: " + failure.getMessage(), failure);
        }
        if (resource == null) {
            metrics.createFailed();
            throw new StrataException(FaultKind.RESOURCE_CLOSED, name, "resource factory returned null");
        }
        PoolEntry<R> entry = new PoolEntry<>(resource, clock.nanoTime(), jitteredLifetimeNanos());
        entries.register(entry);
        metrics.created();
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
}
