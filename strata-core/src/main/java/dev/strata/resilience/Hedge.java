package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import java.time.Duration;

/**
 * Hedged requests, as in "The Tail at Scale": when an attempt has not answered after
 * {@link #delay()}, start another one beside it, up to {@link #maxHedges()} extra; the first
 * success wins and the others are interrupted (sync) or cancelled (async). When every running
 * attempt has failed and hedges are left, the next one starts at once.
 *
 * <p>A hedge is a repeat, so it obeys the same rules as a retry: a failure the pipeline's retry
 * would not repeat (a client error such as a 404, a kind its predicate rejects; without a retry,
 * a kind the taxonomy calls non-retryable) settles the call with that failure at once and the
 * other attempts are stopped; and a call that is not safe to repeat (non-idempotent, no
 * idempotency key) is never hedged.
 *
 * <p>Each hedge withdraws a token from the pipeline's {@link RetryBudget}, so hedging cannot
 * multiply the load on a struggling dependency beyond the budget.
 */
public final class Hedge {

    /** Largest number of extra attempts. */
    public static final int MAX_HEDGES = 10;

    private final long delayNanos;
    private final int maxHedges;

    private Hedge(long delayNanos, int maxHedges) {
        this.delayNanos = delayNanos;
        this.maxHedges = maxHedges;
    }

    /**
     * Starts up to {@code maxHedges} extra attempts, one each time {@code delay} passes without an answer.
     *
     * @throws IllegalArgumentException when delay is not in 1ms..1h or maxHedges not in 1..10
     */
    public static Hedge of(Duration delay, int maxHedges) {
        Require.between("hedge.delay", delay, Duration.ofMillis(1), Duration.ofHours(1));
        Require.between("hedge.maxHedges", maxHedges, 1, MAX_HEDGES);
        return new Hedge(delay.toNanos(), maxHedges);
    }

    public Duration delay() {
        return Duration.ofNanos(delayNanos);
    }

    long delayNanos() {
        return delayNanos;
    }

    public int maxHedges() {
        return maxHedges;
    }

    @Override
    public String toString() {
        return "Hedge[" + maxHedges + " after " + Durations.format(delayNanos) + "]";
    }
}
