package dev.strata.resilience;

import dev.strata.call.Criticality;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * Thrown instead of running a call when its {@link AdaptiveLimit} did not admit it: the limit
 * was reached, or, for a default or sheddable call, only the slots kept for more critical work
 * were free. The call was not attempted. Its kind is {@link FaultKind#BULKHEAD_FULL}, so
 * fallbacks and meters treat it as a full bulkhead.
 */
public final class AdaptiveLimitExceededException extends StrataException {

    private final int limit;
    private final int inFlight;
    private final Criticality criticality;

    /**
     * @param dependency the dependency name
     * @param limit the limit when the call was refused
     * @param inFlight calls in flight when it was refused
     * @param criticality the refused call's criticality
     */
    public AdaptiveLimitExceededException(String dependency, int limit, int inFlight, Criticality criticality) {
        super(FaultKind.BULKHEAD_FULL, dependency, null);
        this.limit = limit;
        this.inFlight = inFlight;
        this.criticality = criticality;
    }

    /** No stack trace: refusals come at the caller's full rate under overload. */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    /** {@code [payments] RESILIENCE/bulkhead-full: adaptive limit 42, 40 in flight; sheddable call shed}. */
    @Override
    public String getMessage() {
        return "[" + dependency() + "] " + fault() + ": adaptive limit " + limit + ", " + inFlight + " in flight; "
                + criticality.code() + (inFlight < limit ? " call shed to keep slots for more critical work" : " call refused");
    }

    /** The limit when the call was refused. */
    public int limit() {
        return limit;
    }

    /** The refused call's criticality. */
    public Criticality criticality() {
        return criticality;
    }
}
