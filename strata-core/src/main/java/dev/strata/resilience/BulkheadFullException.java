package dev.strata.resilience;

import dev.strata.call.Durations;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * Thrown instead of running a call when its {@link Bulkhead} has no free slot within the allowed
 * wait. The call was not attempted. Its kind is {@link FaultKind#BULKHEAD_FULL}.
 */
public final class BulkheadFullException extends StrataException {

    private final int maxConcurrentCalls;

    /**
     * @param bulkheadName the bulkhead (and dependency) name
     * @param maxConcurrentCalls the bulkhead's limit
     * @param waitedNanos how long the caller waited for a slot before giving up (0 when it did not wait)
     */
    public BulkheadFullException(String bulkheadName, int maxConcurrentCalls, long waitedNanos) {
        super(FaultKind.BULKHEAD_FULL, bulkheadName, "all " + maxConcurrentCalls + " slots in use"
                + (waitedNanos > 0 ? " after waiting " + Durations.format(waitedNanos) : ""));
        this.maxConcurrentCalls = maxConcurrentCalls;
    }

    /** The limit of the bulkhead that refused the call. */
    public int maxConcurrentCalls() {
        return maxConcurrentCalls;
    }
}
