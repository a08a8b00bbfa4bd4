package dev.strata.resilience;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.OutcomeListeners;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Applies a fallback chain to a failed call, sync or async, and reports what it did. */
final class FallbackHandler {

    private final String name;
    private final FaultClassifier classifier;
    private final PipelineEvents report;
    private final RetryDecisions decisions;
    private final OutcomeListeners outcomes;

    FallbackHandler(Pipeline p) {
        this.name = p.name;
        this.classifier = p.classifier;
        this.report = p.report;
        this.decisions = p.decisions;
        this.outcomes = p.outcomes;
    }

    /** The chain's value for {@code failure}, or {@code failure} itself (with the chain's failures suppressed). */
    @SuppressWarnings("unchecked")
    <T> T fallBack(RuntimeException failure, Fallback<?> chain) {
        Fault fault = classifier.classify(failure);
        Fallback.Cause cause = new Fallback.Cause(name, fault, failure);
        if (!chain.matches(cause)) {
            throw failure;
        }
        report.fallbackInvoked(fault);
        List<Throwable> failed = new ArrayList<>(1);
        OutcomeListener listener = outcomes.current();
        T value;
        try {
            value = (T) chain.apply(cause, failed);
        } catch (Fallback.NoValue none) {
            if (listener != null) {
                listener.fallbackInvoked(name, fault, false);
            }
            for (Throwable f : failed) {
                failure.addSuppressed(f);
            }
            report.fallbackFailed(fault, failed);
            throw failure;
        }
        if (listener != null) {
            listener.fallbackInvoked(name, fault, true);
        }
        report.earlierFallbacksFailed(fault, failed);
        return value;
    }

    /**
     * A future completing with {@code outcome}'s value, or with the fallback's value when it fails;
     * cancelling it cancels {@code outcome}.
     */
    <T> CompletableFuture<T> withFallback(CompletableFuture<T> outcome, Fallback<?> fallback) {
        CompletableFuture<T> withFallback = new CompletableFuture<>();
        outcome.whenComplete((value, failure) -> {
            if (failure == null) {
                withFallback.complete(value);
                return;
            }
            try {
                withFallback.complete(fallBack(decisions.asRuntime(RetryDecisions.unwrap(failure)), fallback));
            } catch (RuntimeException | Error e) {
                withFallback.completeExceptionally(e);
            }
        });
        withFallback.whenComplete((value, failure) -> {
            if (withFallback.isCancelled()) {
                outcome.cancel(true);
            }
        });
        return withFallback;
    }
}
