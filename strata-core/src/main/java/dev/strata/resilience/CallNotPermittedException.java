package dev.strata.resilience;

import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * Thrown instead of running a call when its {@link CircuitBreaker} does not permit it: the
 * breaker is open, forced open, or half-open with every probe permit in use. The call was not
 * attempted, so nothing reached the dependency. Its kind is {@link FaultKind#CIRCUIT_OPEN}.
 */
public final class CallNotPermittedException extends StrataException {

    private final CircuitBreaker.State state;
    private final long remainingOpenNanos;

    /**
     * @param breakerName the breaker (and dependency) name
     * @param state the state that refused the call
     * @param remainingOpenNanos time until the breaker lets a probe through; 0 when unknown or due now,
     *                           {@link Long#MAX_VALUE} when forced open
     */
    public CallNotPermittedException(String breakerName, CircuitBreaker.State state, long remainingOpenNanos) {
        super(FaultKind.CIRCUIT_OPEN, breakerName, CircuitBreaker.describeRefusal(state, remainingOpenNanos));
        this.state = state;
        this.remainingOpenNanos = remainingOpenNanos;
    }

    /** The breaker state that refused the call. */
    public CircuitBreaker.State state() {
        return state;
    }

    /** Nanoseconds until a probe may go through, as seen when the call was refused. */
    public long remainingOpenNanos() {
        return remainingOpenNanos;
    }
}
