package dev.strata.resilience.internal;

import dev.strata.fault.Fault;
import dev.strata.resilience.CircuitBreaker;

/**
 * The circuit breaker's permit protocol for Strata's own code outside its package: not API. A
 * permit names the breaker period that admitted a call, so a late outcome is attributed to that
 * period; {@link #NOT_PERMITTED} means refused. Each permit gets exactly one of
 * {@link #succeeded}, {@link #failed} or {@link #release}.
 */
public final class BreakerPermits {

    /** Returned by {@link #acquire} when the call is refused. */
    public static final long NOT_PERMITTED = 0L;

    /** What {@code CircuitBreaker} installs when its class is initialised (before any breaker exists). */
    public interface Access {
        long acquire(CircuitBreaker breaker);

        void succeeded(CircuitBreaker breaker, long permit, long durationNanos);

        void failed(CircuitBreaker breaker, long permit, long durationNanos, Fault fault);

        void release(CircuitBreaker breaker, long permit);

        boolean measuresDuration(CircuitBreaker breaker);
    }

    private static volatile Access access;

    private BreakerPermits() {
    }

    /** Called once, by {@code CircuitBreaker}'s static initialiser. */
    public static void install(Access installed) {
        if (access != null) {
            throw new IllegalStateException("BreakerPermits: already installed");
        }
        access = installed;
    }

    /** A permit for one logical call, or {@link #NOT_PERMITTED}. */
    public static long acquire(CircuitBreaker breaker) {
        return access.acquire(breaker);
    }

    public static void succeeded(CircuitBreaker breaker, long permit, long durationNanos) {
        access.succeeded(breaker, permit, durationNanos);
    }

    public static void failed(CircuitBreaker breaker, long permit, long durationNanos, Fault fault) {
        access.failed(breaker, permit, durationNanos, fault);
    }

    /** Gives the permit back without an outcome (a cancelled call). */
    public static void release(CircuitBreaker breaker, long permit) {
        access.release(breaker, permit);
    }

    /** Whether the breaker needs the call's duration (slow-call detection). */
    public static boolean measuresDuration(CircuitBreaker breaker) {
        return access.measuresDuration(breaker);
    }
}
