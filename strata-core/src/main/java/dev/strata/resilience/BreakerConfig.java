package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker.Mode;
import java.util.function.Predicate;

/**
 * The validated configuration of one {@link CircuitBreaker}, as {@link BreakerSettings#validated()}
 * returns it: durations already in nanos, dependent defaults filled in. The breaker copies what its
 * hot path reads into its own final fields, so a call never goes through this record.
 *
 * @param name the dependency the breaker protects
 * @param mode how the breaker decides to open from CLOSED
 * @param failureThreshold failures in a row that open it in {@link Mode#CONSECUTIVE_FAILURES} mode
 * @param slowCallNanos the slow-call duration; {@link Long#MAX_VALUE} when slow calls are not measured
 * @param halfOpenPermits concurrent probes while half-open
 * @param maxHalfOpenNanos how long it may stay half-open while its probes have not all answered
 * @param recordFault which faults count as failures
 * @param clock the time source
 * @param events where transition and rejection events go
 * @param thresholds when the window's rates open the breaker (unused in CONSECUTIVE_FAILURES mode)
 * @param windowSize calls (count window) or seconds (time window) in the window
 * @param openWait how long it stays open before a probe
 */
record BreakerConfig(String name, Mode mode, int failureThreshold, long slowCallNanos, int halfOpenPermits,
                     long maxHalfOpenNanos, Predicate<Fault> recordFault, Clock clock, EventBus events,
                     WindowThresholds thresholds, int windowSize, OpenWait openWait) {

    /** What may change while the breaker runs (see {@link BreakerStateMachine#retune}). */
    BreakerTuning tuning() {
        return new BreakerTuning(failureThreshold, slowCallNanos, halfOpenPermits, maxHalfOpenNanos, thresholds, openWait);
    }

    /** A new, empty window for the CLOSED state's outcomes; null in {@link Mode#CONSECUTIVE_FAILURES} mode. */
    SlidingWindow newWindow() {
        return switch (mode) {
            case CONSECUTIVE_FAILURES -> null;
            case COUNT_WINDOW -> new CountWindow(windowSize);
            case TIME_WINDOW -> new TimeWindow(windowSize, clock);
        };
    }
}
