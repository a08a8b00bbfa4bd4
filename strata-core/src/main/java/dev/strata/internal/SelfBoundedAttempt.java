package dev.strata.internal;

import java.util.concurrent.Callable;

/**
 * An attempt that keeps a bound by itself, so a pipeline may run it on the caller's thread instead
 * of handing it to a thread of its own that the caller can walk away from. Not API: only Strata's
 * own attempts, which are known to end by the bound whatever the other side does, implement it
 * (an HTTP exchange waits on a future with the bound and cancels the exchange at it).
 *
 * <p>The contract: {@link #callWithin} returns or throws by {@code boundNanos}; at the bound it
 * runs {@code fired} and throws the pipeline's own exception for it (an
 * {@code AttemptTimeoutException}, or a {@code DeadlineExceededException} when {@code byDeadline});
 * an interrupt ends it at once with {@link InterruptedException}. {@link #call()} is the attempt
 * with its own bounds, for a pipeline that sets none.
 */
public interface SelfBoundedAttempt<T> extends Callable<T> {

    /**
     * Runs the attempt within {@code boundNanos}, running {@code fired} just before it throws
     * because that bound passed.
     */
    T callWithin(long boundNanos, boolean byDeadline, Runnable fired) throws Exception;
}
