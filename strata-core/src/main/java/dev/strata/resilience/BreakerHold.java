package dev.strata.resilience;

/**
 * Which circuit breaker guards the logical call the current thread is running an attempt of.
 * A pipeline refuses to use that breaker again inside the attempt, because the breaker would then
 * count attempts instead of calls; {@link BoundedAttempt} carries the holding over to the attempt's
 * own thread.
 */
final class BreakerHold {

    private static final ThreadLocal<CircuitBreaker> HELD = new ThreadLocal<>();

    private BreakerHold() {
    }

    /** The breaker held by the current thread, or null. */
    static CircuitBreaker current() {
        return HELD.get();
    }

    /** Makes {@code breaker} the current thread's held breaker; null clears it. */
    static void hold(CircuitBreaker breaker) {
        if (breaker == null) {
            HELD.remove();
        } else {
            HELD.set(breaker);
        }
    }

    /** Sets the held breaker (null included) without removing the thread-local's entry: the sync hot path's form. */
    static void set(CircuitBreaker breaker) {
        HELD.set(breaker);
    }

    static IllegalStateException reentered(CircuitBreaker cb) {
        return new IllegalStateException("circuitBreaker '" + cb.name() + "' already guards the logical call this attempt"
                + " belongs to; using it again inside an attempt would count attempts instead of calls");
    }
}
