package dev.strata.resilience;

/**
 * What of a {@link CircuitBreaker}'s configuration may change while it runs: the thresholds that
 * open it and the waits that close it again. Immutable; a retune swaps the whole object, and each
 * {@link Phase} carries the one it is judged by, so the hot path reads it without a volatile load.
 *
 * @param failureThreshold failures in a row that open it in CONSECUTIVE_FAILURES mode
 * @param slowCallNanos the slow-call duration; {@link Long#MAX_VALUE} when slow calls are not measured
 * @param halfOpenPermits concurrent probes while half-open
 * @param maxHalfOpenNanos how long it may stay half-open while its probes have not all answered
 * @param thresholds when the window's rates open it
 * @param openWait how long it stays open before a probe
 */
record BreakerTuning(int failureThreshold, long slowCallNanos, int halfOpenPermits, long maxHalfOpenNanos,
                     WindowThresholds thresholds, OpenWait openWait) {
}
