package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What a pipeline decides after a failed attempt, shared by the sync loop, the async state machine
 * and hedging: whether to retry, how long to back off, whether the breaker, the deadline and the
 * budget allow the backoff, and which exception escapes when the call ends.
 */
final class RetryDecisions {

    static final String STOP_BREAKER = "the circuit breaker opened";
    static final String STOP_PROBE = "a half-open probe gets one attempt";
    static final String STOP_BUDGET = "the retry budget is exhausted";
    /** Prefix of the reason given when a retry-after hint exceeds {@link Retry#maxRetryAfter()}. */
    static final String STOP_RETRY_AFTER = "the dependency asked for Retry-After ";

    private final String name;
    private final Retry retry;
    private final RetryBudget budget;
    private final CircuitBreaker breaker;
    private final FaultClassifier classifier;
    private final PipelineEvents report;

    RetryDecisions(String name, Retry retry, RetryBudget budget, CircuitBreaker breaker, FaultClassifier classifier,
                   PipelineEvents report) {
        this.name = name;
        this.retry = retry;
        this.budget = budget;
        this.breaker = breaker;
        this.classifier = classifier;
        this.report = report;
    }

    /** Why a failure ends the call, or null when it may be retried (budget, deadline, breaker still to check). */
    static String whyNotRetried(Retry r, CallContext ctx, Fault fault, Throwable failure, int n, int max) {
        if (failure instanceof InterruptedException) {
            return "interrupted";
        }
        if (r == null) {
            return "no retry configured";
        }
        if (!r.isRetryable(fault, failure)) {
            return fault.layer() == Layer.APPLICATION ? "application faults are never retried" : "not retryable";
        }
        if (ctx != null && !ctx.isSafeToRepeat()) {
            return "non-idempotent call without an idempotency key";
        }
        if (n >= max) {
            return "no attempts left";
        }
        return null;
    }

    static long nextDelay(Retry r, int n, long previousDelay, Fault fault) {
        long delay = r.backoff().delayNanos(n, previousDelay, r.jitter());
        Duration hint = fault == null ? null : fault.retryAfter();
        if (hint != null) {
            // never come back earlier than the dependency asked; saturating: a hint may be any size
            delay = Math.max(delay, Durations.saturatedNanos(hint));
        }
        return delay;
    }

    /**
     * Why a retry-after hint ends the call at once, or null when it may be honoured: a hint
     * beyond {@link Retry#maxRetryAfter()} would hold the caller (and its bulkhead slot and
     * breaker permit) for as long as the dependency likes.
     */
    static String whyNotHonour(Retry r, Fault fault) {
        Duration hint = fault.retryAfter();
        if (hint == null || hint.compareTo(r.maxRetryAfter()) <= 0) {
            return null;
        }
        return STOP_RETRY_AFTER + Durations.format(hint) + ", more than maxRetryAfter " + Durations.format(r.maxRetryAfter());
    }

    /**
     * Why the loop must not back off for {@code delay}, or null when it may. Checks the retry's
     * maximum duration, the deadline, the breaker and, last because it spends a token, the budget.
     */
    String whyNotBackOff(Retry r, Deadline d, long callStart, long now, long delay, long permit) {
        long maxDuration = r.maxDurationNanos();
        if (maxDuration > 0 && now + delay - callStart >= maxDuration) {
            return "max duration " + Durations.format(maxDuration) + " would pass during the backoff";
        }
        if (d != null) {
            long left = d.remainingNanos();
            if (delay >= left) {
                return "backoff " + Durations.format(delay) + " would end past the deadline (" + Durations.format(left) + " left)";
            }
        }
        if (breaker != null && !permitsRetry(breaker, permit)) {
            return breaker.isProbe(permit) ? STOP_PROBE : STOP_BREAKER;
        }
        if (budget != null && !budget.tryWithdraw()) {
            return STOP_BUDGET;
        }
        return null;
    }

    /**
     * Whether a failed attempt may be repeated at all, by a retry or a hedge (rule 9): the call is
     * safe to repeat and the fault is one the retry (or, without one, the taxonomy) repeats, which
     * never includes client errors.
     */
    boolean mayRepeat(CallContext ctx, Fault fault, Throwable failure) {
        if (ctx != null && !ctx.isSafeToRepeat()) {
            return false;
        }
        return retry != null ? retry.isRetryable(fault, failure) : fault.layer() != Layer.APPLICATION && fault.retryable();
    }

    /**
     * Whether the breaker still lets the logical call holding {@code permit} make another attempt:
     * only while it stays in the CLOSED (or DISABLED) period that admitted it. A call admitted
     * while closed must not turn into an unofficial probe once the breaker opened, even when the
     * open wait has elapsed meanwhile, and a probe gets one attempt.
     */
    static boolean permitsRetry(CircuitBreaker cb, long permit) {
        return cb.permitsAnotherAttempt(permit);
    }

    /** The exception that ends the call after a failure that is not retried, reporting it first. */
    RuntimeException giveUp(String because, boolean exhausted, Fault fault, Throwable failure, int n, int max,
                            long took, Deadline d) {
        report.gaveUp(retry != null, exhausted, because, fault, n, max, took, d);
        if (exhausted && max > 1) {
            return new RetriesExhaustedException(name, n, fault, "all " + n + " attempts failed", failure);
        }
        return unchecked(failure, fault);
    }

    /** The exception that ends the call when the retry may not back off, reporting it first. */
    RuntimeException stopped(String because, Fault fault, Throwable failure, int n, int max, long took, Deadline d) {
        report.stopped(because, fault, n, max, took, d);
        if (because == STOP_PROBE) {
            return unchecked(failure, fault); // the probe's own failure, which the breaker records
        }
        if (because == STOP_BREAKER) {
            CallNotPermittedException refused = notPermitted();
            refused.addSuppressed(failure); // its cause is fixed by its constructor; the last failure stays visible
            return refused;
        }
        if (because == STOP_BUDGET) {
            return new RetryBudgetExhaustedException(name, n, fault, "retry budget refused a retry", failure);
        }
        if (because.startsWith("max duration") || because.startsWith(STOP_RETRY_AFTER)) {
            return new RetriesExhaustedException(name, n, fault, because, failure);
        }
        return new DeadlineExceededException(name, because, "gave up after attempt " + n + ", last " + fault, failure);
    }

    CallNotPermittedException notPermitted() {
        return new CallNotPermittedException(breaker.name(), breaker.state(), breaker.remainingOpenNanos());
    }

    RuntimeException unchecked(Throwable failure, Fault fault) {
        if (failure instanceof RuntimeException re) {
            return re;
        }
        return new StrataException(fault, name, "attempt failed: " + failure, failure);
    }

    StrataException interrupted(String doing, Throwable cause) {
        return new StrataException(Fault.of(FaultKind.INTERRUPTED, doing), name, "interrupted while " + doing, cause);
    }

    /**
     * The fault the breaker should record for a failed logical call: the dependency's own
     * failure behind Strata's wrappers, so that retries exhausted on resets count as resets.
     */
    Fault outcomeFault(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof RetriesExhaustedException || t instanceof DeadlineExceededException
                || (t instanceof StrataException se && se.kind() == FaultKind.RETRY_BUDGET_EXHAUSTED))
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof DeadlineExceededException) {
            // An attempt cut by the deadline: the dependency was too slow, as with a timeout.
            return Fault.of(FaultKind.ATTEMPT_TIMEOUT, "cut at the deadline");
        }
        return classifier.classify(t);
    }

    /**
     * Tells the breaker that the call holding {@code permit} failed; a call whose first attempt
     * never started (its deadline was spent on arrival) only gives its permit back. When classifying the failure
     * throws (a user's classifier), the permit is freed without an outcome and that exception
     * propagates: a half-open probe permit must never stay taken. (The breaker itself frees the
     * permit when its {@code recordFault} predicate throws.)
     */
    void recordFailure(CircuitBreaker cb, long permit, long tookNanos, Throwable failure) {
        if (failure instanceof DeadlineExceededException spent && spent.beforeFirstAttempt()) {
            cb.releasePermission(permit); // the dependency never saw the call: no outcome to count
            return;
        }
        Fault fault;
        try {
            fault = outcomeFault(failure);
        } catch (RuntimeException | Error classifierFailed) {
            cb.releasePermission(permit);
            throw classifierFailed;
        }
        cb.onFailure(permit, tookNanos, fault);
    }

    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    RuntimeException asRuntime(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        return new StrataException(classifier.classify(t), name, "attempt failed: " + t, t);
    }
}
