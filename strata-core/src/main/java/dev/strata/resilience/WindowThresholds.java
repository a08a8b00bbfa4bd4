package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.resilience.CircuitBreaker.Metrics;
import java.util.Locale;

/**
 * When the outcomes in a {@link SlidingWindow} open the breaker: once at least
 * {@code minimumCalls} are buffered, a failure rate at or above {@code failureRate}, or, when slow
 * calls are measured, a slow-call rate at or above {@code slowCallRate}.
 *
 * @param minimumCalls calls needed in the window before the rates apply
 * @param failureRate failure rate (0..1) that opens the breaker
 * @param slowCallRate slow-call rate (0..1) that opens the breaker
 * @param slowCallNanos the slow-call duration; {@link Long#MAX_VALUE} when slow calls are not measured
 */
record WindowThresholds(int minimumCalls, double failureRate, double slowCallRate, long slowCallNanos) {

    /** Whether a window with these totals opens the breaker; called under the window's lock, allocation-free. */
    boolean crossed(int buffered, int failed, int slow) {
        if (buffered < minimumCalls) {
            return false;
        }
        return failed >= failureRate * buffered
                || (slowCallNanos != Long.MAX_VALUE && slow >= slowCallRate * buffered);
    }

    /**
     * Why a window with these statistics opened the breaker, for its transition event: e.g.
     * {@code failure rate 60% >= 50% over 10 calls}.
     */
    String reason(Metrics m) {
        if (m.failureRate() >= failureRate) {
            return "failure rate " + percent(m.failureRate()) + " >= " + percent(failureRate)
                    + " over " + m.bufferedCalls() + " calls";
        }
        return "slow-call rate " + percent(m.slowCallRate()) + " >= " + percent(slowCallRate)
                + " (calls >= " + Durations.format(slowCallNanos) + ") over " + m.bufferedCalls() + " calls";
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }
}
