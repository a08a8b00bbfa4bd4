package dev.strata.resilience;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * A retry loop gave up on retryable failures: it ran out of attempts or of its maximum duration.
 * The cause is the last attempt's failure; {@link #lastFault()} is its classification, so the
 * layer that actually broke stays visible.
 */
public class RetriesExhaustedException extends StrataException {

    private final Fault lastFault;
    private final int attempts;

    public RetriesExhaustedException(String dependency, int attempts, Fault lastFault, String message, Throwable cause) {
        super(Fault.of(FaultKind.RETRIES_EXHAUSTED, attempts + (attempts == 1 ? " attempt" : " attempts") + ", last " + lastFault),
                dependency, message, cause);
        this.lastFault = lastFault;
        this.attempts = attempts;
    }

    /** The classified failure of the last attempt. */
    public Fault lastFault() {
        return lastFault;
    }

    /** How many attempts were made. */
    public int attempts() {
        return attempts;
    }
}
