package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * One attempt ran longer than its per-attempt timeout; it was interrupted and the caller released.
 * Its kind, {@link FaultKind#ATTEMPT_TIMEOUT}, is retryable, so a surrounding retry tries again.
 */
public class AttemptTimeoutException extends StrataException {

    private final long timeoutNanos;

    /**
     * @param dependency the dependency whose attempt timed out
     * @param timeoutNanos the per-attempt timeout that fired
     */
    public AttemptTimeoutException(String dependency, long timeoutNanos) {
        super(Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after " + Durations.format(timeoutNanos)), dependency,
                "attempt did not finish within its timeout", null);
        this.timeoutNanos = timeoutNanos;
    }

    /** The timeout that fired, in nanoseconds. */
    public long timeoutNanos() {
        return timeoutNanos;
    }
}
