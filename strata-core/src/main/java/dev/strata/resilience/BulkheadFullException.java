package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * Thrown instead of running a call when its {@link Bulkhead} has no free slot within the allowed
 * wait. The call was not attempted. Its kind is {@link FaultKind#BULKHEAD_FULL}.
 */
public final class BulkheadFullException extends StrataException {

    private final int maxConcurrentCalls;
    private final long waitedNanos;

    /**
     * @param bulkheadName the bulkhead (and dependency) name
     * @param maxConcurrentCalls the bulkhead's limit
     * @param waitedNanos how long the caller waited for a slot before giving up (0 when it did not wait)
     */
    public BulkheadFullException(String bulkheadName, int maxConcurrentCalls, long waitedNanos) {
        super(FaultKind.BULKHEAD_FULL, bulkheadName, null);
        this.maxConcurrentCalls = maxConcurrentCalls;
        this.waitedNanos = waitedNanos;
    }

    /**
     * No stack trace: a full bulkhead rejects at the caller's full rate under overload, when a
     * stack walk per call hurts most; the message names the dependency and the limit.
     */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    /** {@code [payments] RESILIENCE/bulkhead-full: all 25 slots in use}, built only when asked for. */
    @Override
    public String getMessage() {
        return "[" + dependency() + "] " + fault() + ": all " + maxConcurrentCalls + " slots in use"
                + (waitedNanos > 0 ? " after waiting " + Durations.format(waitedNanos) : "");
    }

    /** How long the caller waited for a slot, 0 when it did not wait. */
    public long waitedNanos() {
        return waitedNanos;
    }

    /** The limit of the bulkhead that refused the call. */
    public int maxConcurrentCalls() {
        return maxConcurrentCalls;
    }
}
