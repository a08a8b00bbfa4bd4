package dev.strata.resilience;

import dev.strata.resilience.CircuitBreaker.Metrics;
import dev.strata.resilience.CircuitBreaker.State;

/**
 * The outcome statistics a {@link CircuitBreaker} keeps while {@code CLOSED}, kept apart from its
 * state machine: {@link CountWindow} holds the last N calls ({@link CircuitBreaker.Mode#COUNT_WINDOW}),
 * {@link TimeWindow} the calls of the last N seconds ({@link CircuitBreaker.Mode#TIME_WINDOW}).
 * The breaker records each outcome of its current CLOSED period, opens when {@link #record} reports
 * a threshold crossed, and clears the window when it closes again.
 *
 * <p>Implementations are thread-safe: a lock guards their totals and is held only for a few array
 * writes, never around a call. Recording allocates nothing.
 */
interface SlidingWindow {

    /**
     * Adds one outcome; returns true when {@code thresholds} are now crossed.
     * Allocation-free.
     */
    boolean record(boolean failure, boolean slowCall, WindowThresholds thresholds);

    /** Forgets every outcome. */
    void clear();

    /** The window's totals as the breaker's statistics; allocates, not for the hot path. */
    Metrics snapshot(State state, long notPermittedCalls, int consecutiveFailures);

    /** Statistics from a window's totals; both rates are 0 while the window is empty. */
    static Metrics metrics(State state, int buffered, int failed, int slow, long notPermittedCalls,
                           int consecutiveFailures) {
        double failureRate = buffered == 0 ? 0.0 : (double) failed / buffered;
        double slowRate = buffered == 0 ? 0.0 : (double) slow / buffered;
        return new Metrics(state, failureRate, slowRate, buffered, failed, slow, notPermittedCalls, consecutiveFailures);
    }
}
