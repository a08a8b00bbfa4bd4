package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Interceptor;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.EventBus;
import dev.strata.ratelimit.RateLimiter;
import java.time.Duration;
import dev.strata.internal.Require;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A {@link Pipeline} with a fallback for every call, typed by what the calls return: an attempt
 * or a per-call fallback of another type does not compile. Built by
 * {@code Pipeline.builder(name)...fallback(fallback).build()}.
 *
 * <p>The fallback is the outermost policy: it sees what would otherwise escape (see
 * {@link Pipeline}), matched by fault kind or exception type, and a failure it does not match
 * escapes unchanged. Immutable and thread-safe, like the pipeline it wraps.
 *
 * @param <T> the type every call through this pipeline returns
 */
public final class TypedPipeline<T> {

    private final Pipeline pipeline;
    private final Fallback<T> fallback;

    private TypedPipeline(Pipeline pipeline, Fallback<T> fallback) {
        this.pipeline = pipeline;
        this.fallback = fallback;
    }

    /** The dependency's name. */
    public String name() {
        return pipeline.name();
    }

    /** The policies without the fallback, e.g. to bind metrics or to make calls of another type. */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** Like {@link Pipeline#execute(Callable)}, ending in the fallback when it matches the failure. */
    public T execute(Callable<? extends T> attempt) {
        return pipeline.run(null, covariant(attempt), fallback);
    }

    /** Like {@link Pipeline#execute(CallContext, Callable)}, ending in the fallback when it matches the failure. */
    public T execute(CallContext context, Callable<? extends T> attempt) {
        return pipeline.run(context, covariant(attempt), fallback);
    }

    /** With a fallback for this call, tried before the pipeline's own. */
    public T execute(CallContext context, Callable<? extends T> attempt, Fallback<? extends T> callFallback) {
        Require.nonNull("callFallback", callFallback);
        return pipeline.run(context, covariant(attempt), TypedPipeline.<T>widened(callFallback).orElse(fallback));
    }

    /** Like {@link Pipeline#executeAsync(Supplier)}, completing with the fallback's value when it matches the failure. */
    public CompletableFuture<T> executeAsync(Supplier<? extends CompletionStage<T>> attempt) {
        return executeAsync(null, attempt);
    }

    /** Like {@link Pipeline#executeAsync(CallContext, Supplier)}; cancelling the result cancels the call. */
    public CompletableFuture<T> executeAsync(CallContext context, Supplier<? extends CompletionStage<T>> attempt) {
        Objects.requireNonNull(attempt, "attempt");
        return pipeline.generation().fallbacks.withFallback(pipeline.executeAsync(context, attempt), fallback);
    }

    @SuppressWarnings("unchecked")
    private static <T> Callable<T> covariant(Callable<? extends T> attempt) {
        return (Callable<T>) attempt; // a Callable only produces T: reading it as Callable<T> is safe
    }

    @SuppressWarnings("unchecked")
    private static <T> Fallback<T> widened(Fallback<? extends T> fallback) {
        return (Fallback<T>) fallback; // a fallback only produces values: reading it as Fallback<T> is safe
    }

    @Override
    public String toString() {
        String inner = pipeline.toString();
        return inner.substring(0, inner.length() - 1) + ", " + fallback + "]";
    }

    /**
     * A {@link Pipeline.Builder} once a fallback fixed the calls' type: the same policies may still
     * be set, in any order, each once.
     */
    public static final class Builder<T> {
        private final Pipeline.Builder policies;
        private final Fallback<T> fallback;

        Builder(Pipeline.Builder policies, Fallback<T> fallback) {
            this.policies = policies;
            this.fallback = fallback;
        }

        /** As {@link Pipeline.Builder#deadline}. */
        public Builder<T> deadline(Duration deadline) {
            policies.deadline(deadline);
            return this;
        }

        /** As {@link Pipeline.Builder#timeout}. */
        public Builder<T> timeout(Duration timeout) {
            policies.timeout(timeout);
            return this;
        }

        /** As {@link Pipeline.Builder#timeout}. */
        public Builder<T> timeout(Timeout timeout) {
            policies.timeout(timeout);
            return this;
        }

        /** As {@link Pipeline.Builder#retry}. */
        public Builder<T> retry(Retry retry) {
            policies.retry(retry);
            return this;
        }

        /** As {@link Pipeline.Builder#retryBudget}. */
        public Builder<T> retryBudget(RetryBudget budget) {
            policies.retryBudget(budget);
            return this;
        }

        /** As {@link Pipeline.Builder#circuitBreaker}. */
        public Builder<T> circuitBreaker(CircuitBreaker breaker) {
            policies.circuitBreaker(breaker);
            return this;
        }

        /** As {@link Pipeline.Builder#bulkhead}. */
        public Builder<T> bulkhead(Bulkhead bulkhead) {
            policies.bulkhead(bulkhead);
            return this;
        }

        /** As {@link Pipeline.Builder#rateLimiter}. */
        public Builder<T> rateLimiter(RateLimiter limiter, Duration maxWait) {
            policies.rateLimiter(limiter, maxWait);
            return this;
        }

        /** As {@link Pipeline.Builder#hedge}. */
        public Builder<T> hedge(Hedge hedge) {
            policies.hedge(hedge);
            return this;
        }

        /** As {@link Pipeline.Builder#interceptor}. */
        public Builder<T> interceptor(Interceptor interceptor) {
            policies.interceptor(interceptor);
            return this;
        }

        /** As {@link Pipeline.Builder#classifier}. */
        public Builder<T> classifier(FaultClassifier classifier) {
            policies.classifier(classifier);
            return this;
        }

        /** As {@link Pipeline.Builder#clock}. */
        public Builder<T> clock(Clock clock) {
            policies.clock(clock);
            return this;
        }

        /** As {@link Pipeline.Builder#events}. */
        public Builder<T> events(EventBus events) {
            policies.events(events);
            return this;
        }

        /** Validates the policies as {@link Pipeline.Builder#build()} does and builds. */
        public TypedPipeline<T> build() {
            return new TypedPipeline<>(policies.build(), fallback);
        }
    }
}
