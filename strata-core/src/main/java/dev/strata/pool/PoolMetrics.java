package dev.strata.pool;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.internal.Durations;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A pool's accounting: the counters and wait histogram behind {@link Pool#stats()}, and the
 * failure of a borrower that gave up, which states the pool's counts when it did. A borrow
 * that waited for nothing and every return write no shared counter at all (the lend is counted
 * on its entry, the active count is read from the entries' borrowed flags): with more threads
 * than cores, a striped counter still bounces between cores each time the scheduler pairs two
 * threads on one stripe. The rest is striped and lock-free; all is summed only when a
 * {@link PoolStats} snapshot is taken.
 */
final class PoolMetrics {

    private final String name;
    private final int maxSize;
    private final long acquisitionTimeoutNanos;
    private final Clock clock;
    private final PoolEntries<?> entries;
    private final WaiterLine line;

    private final LongAdder timeouts = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder createFailures = new LongAdder();
    private final LongAdder staleDetected = new LongAdder();
    private final LongAdder leaksReported = new LongAdder();
    private final Map<EvictionReason, LongAdder> closedBy = new EnumMap<>(EvictionReason.class);
    private final WaitHistogram waits = new WaitHistogram();

    PoolMetrics(PoolConfig config, PoolEntries<?> entries, WaiterLine line) {
        this.name = config.name();
        this.maxSize = config.maxSize();
        this.acquisitionTimeoutNanos = config.acquisitionTimeout().toNanos();
        this.clock = config.clock();
        this.entries = entries;
        this.line = line;
        for (EvictionReason reason : EvictionReason.values()) {
            closedBy.put(reason, new LongAdder());
        }
    }

    /**
     * A borrow succeeded after waiting {@code waitedNanos} on the slow path (the fast path counts
     * itself on the entry it lent: {@link PoolEntries#lentWithoutWaiting()}). Counted by the wait
     * histogram alone, which also records the waits of borrowers that gave up ({@code timeouts}).
     */
    void acquired(long waitedNanos) {
        waits.record(waitedNanos);
    }

    /** Successful acquisitions: the fast ones, and every recorded wait but those that ended in giving up. */
    private long acquisitions(long withoutWaiting) {
        // Waits first: a timeout is counted before its wait is recorded, so every give-up among the
        // waits read is in the timeouts read next, and a borrower that gave up is never counted.
        long recorded = waits.count();
        return Math.max(0L, recorded - timeouts.sum()) + withoutWaiting;
    }

    /**
     * Counts a borrower that gave up after waiting since {@code start} with {@code budget} to
     * spend, and returns its {@link FaultKind#POOL_EXHAUSTED} failure, which carries the pool's
     * size, active, idle and waiting counts and the time waited.
     */
    StrataException exhausted(long start, long budget, String why) {
        timeouts.increment();
        long waited = clock.nanoTime() - start;
        waits.record(waited);
        boolean deadlineBound = budget < acquisitionTimeoutNanos;
        String message = "pool exhausted: " + why + " within " + Durations.format(waited)
                + (deadlineBound ? " (bounded by the call deadline; acquisition timeout "
                        + Durations.format(acquisitionTimeoutNanos) + ")"
                        : " (acquisition timeout " + Durations.format(acquisitionTimeoutNanos) + ")")
                + "; size " + entries.total() + "/" + maxSize + ", active " + active()
                + ", idle " + entries.idleCount() + ", waiting " + line.waiting();
        CallContext context = CallContext.current();
        if (context != null) {
            context.trace().record(Layer.RESOURCE, "pool-wait", waited, FaultKind.POOL_EXHAUSTED.qualifiedName());
        }
        return new StrataException(Fault.of(FaultKind.POOL_EXHAUSTED, "waited " + Durations.format(waited)), name, message, null);
    }

    void created() {
        created.increment();
    }

    void createFailed() {
        createFailures.increment();
    }

    void staleDetected() {
        staleDetected.increment();
    }

    void leakReported() {
        leaksReported.increment();
    }

    void closed(EvictionReason reason) {
        closedBy.get(reason).increment();
    }

    /** Resources lent out now. */
    int active() {
        return entries.borrowedCount();
    }

    /** The counters, with the gauges read from the pool's entries and waiter line now. */
    PoolStats snapshot() {
        Map<EvictionReason, Long> closedCounts = new EnumMap<>(EvictionReason.class);
        long quick = entries.lentWithoutWaiting();
        closedBy.forEach((reason, count) -> closedCounts.put(reason, count.sum()));
        return new PoolStats(name, maxSize, entries.total(), active(), entries.idleCount(), line.waiting(),
                acquisitions(quick), timeouts.sum(), created.sum(), createFailures.sum(), closedCounts,
                staleDetected.sum(), leaksReported.sum(), waits.percentile(0.50, quick), waits.percentile(0.99, quick), waits.max());
    }
}
