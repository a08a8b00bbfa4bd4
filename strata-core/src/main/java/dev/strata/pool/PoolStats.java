package dev.strata.pool;

import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * A snapshot of a {@link Pool}'s state and counters. Counters are cumulative since the pool
 * opened; the gauges ({@code total}, {@code active}, {@code idle}, {@code waiting}) are read
 * without a global lock, so under load they may disagree by one or two.
 *
 * @param name the pool's dependency name
 * @param maxSize configured maximum
 * @param total resources open now, idle and in use
 * @param active resources lent out now
 * @param idle resources idle in the pool now
 * @param waiting threads waiting to acquire now
 * @param acquisitions successful acquisitions
 * @param timeouts acquisitions that gave up (acquisition timeout or deadline)
 * @param created resources created
 * @param createFailures attempts to create a resource that failed
 * @param closedByReason resources closed, by reason
 * @param staleDetected idle resources found dead (validation or keepalive) or that failed on first use after idling: L1 findings
 * @param leaksReported resources reported as held past the leak threshold
 * @param waitP50 median acquisition wait (bucket upper bound)
 * @param waitP99 99th percentile acquisition wait (bucket upper bound)
 * @param waitMax longest acquisition wait seen
 */
public record PoolStats(
        String name,
        int maxSize,
        int total,
        int active,
        int idle,
        int waiting,
        long acquisitions,
        long timeouts,
        long created,
        long createFailures,
        Map<EvictionReason, Long> closedByReason,
        long staleDetected,
        long leaksReported,
        Duration waitP50,
        Duration waitP99,
        Duration waitMax) {

    public PoolStats {
        closedByReason = Map.copyOf(closedByReason);
    }

    /** Resources closed for {@code reason}. */
    public long closed(EvictionReason reason) {
        return closedByReason.getOrDefault(reason, 0L);
    }

    /** Resources closed because they were found broken (stale, keepalive failure, broken in use, reset failure). */
    public long evicted() {
        return closedByReason.entrySet().stream().filter(e -> e.getKey().isFailure()).mapToLong(Map.Entry::getValue).sum();
    }

    /** All resources closed for any reason. */
    public long closed() {
        return closedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public String toString() {
        return name + ": size " + total + "/" + maxSize + ", active " + active + ", idle " + idle + ", waiting " + waiting
                + "; acquired " + acquisitions + ", timeouts " + timeouts + ", created " + created
                + ", evicted " + evicted() + ", stale " + staleDetected
                + "; wait p50 " + Durations.format(waitP50) + " p99 " + Durations.format(waitP99)
                + " max " + Durations.format(waitMax);
    }
}
