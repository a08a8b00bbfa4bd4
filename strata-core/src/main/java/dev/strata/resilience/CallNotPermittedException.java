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
        super(FaultKind.CIRCUIT_OPEN, breakerName, null);
        this.state = state;
        this.remainingOpenNanos = remainingOpenNanos;
    }

    /**
     * No stack trace: an open breaker refuses calls at the caller's full rate, exactly when the
     * service can least afford a stack walk per call, and the message already says where (the
     * dependency) and why (state, time until half-open).
     */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    /** {@code [payments] RESILIENCE/circuit-open: circuit OPEN; half-open in 12.3s}, built only when asked for. */
    @Override
    public String getMessage() {
        return "[" + dependency() + "] " + fault() + ": " + BreakerEvents.describeRefusal(state, remainingOpenNanos);
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
