package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Interceptor;
import java.util.concurrent.Callable;

/** Interceptors nest in the order added, the first outermost, the callable innermost. */
record InterceptorChain<T>(Interceptor[] chain, int index, CallContext context, Callable<T> body) implements Callable<T> {
    @Override
    public T call() throws Exception {
        Callable<T> next = index + 1 == chain.length ? body : new InterceptorChain<>(chain, index + 1, context, body);
        return chain[index].intercept(context, next);
    }
}
