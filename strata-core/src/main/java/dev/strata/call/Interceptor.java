package dev.strata.call;

import java.util.concurrent.Callable;

/**
 * Code that runs innermost around every attempt of a call, closest to the real work: fault
 * injection for drills, tracing, test probes. A pipeline calls its interceptors in the order
 * they were added, each wrapping the next, with the {@link CallContext} of the call.
 */
public interface Interceptor {

    /**
     * Runs {@code attempt}, possibly doing something before or after it, or instead of it.
     *
     * @return the attempt's result or a replacement
     * @throws Exception the attempt's failure or one raised by the interceptor
     */
    <T> T intercept(CallContext context, Callable<T> attempt) throws Exception;
}
