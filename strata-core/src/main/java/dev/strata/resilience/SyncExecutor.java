package dev.strata.resilience;

import static dev.strata.resilience.PipelineEvents.UNMEASURED;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Criticality;
import dev.strata.call.Deadline;
import dev.strata.call.Interceptor;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.call.internal.Attempts;
import dev.strata.call.internal.CallState;
import dev.strata.internal.Durations;
import dev.strata.internal.SelfBoundedAttempt;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.OutcomeListeners;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitedException;
import dev.strata.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pipeline's synchronous path: bulkhead, deadline, breaker, retry loop and one attempt, each a
 * method nested in the canonical order. The success path of every method is kept small (a failure
 * or a retryable result is handled in methods of its own) so the JIT inlines the whole chain into
 * the caller and the success path allocates nothing; see BENCHMARKS.md before growing the loop.
 */
final class SyncExecutor {

    /** How often a backoff checks whether the breaker has opened meanwhile. */
    static final long BREAKER_POLL_NANOS = 20_000_000L;

    // Copied from the pipeline: one field load each on the hot path instead of two.
    private final String name;
    private final Bulkhead bulkhead;
    private final AdaptiveLimit adaptiveLimit;
    private final AdaptiveThrottle throttle;
    private final RateLimiter rateLimiter;
    private final Duration rateLimitWait;
    private final Duration deadline;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final RetryBudget budget;
    private final Hedge hedge;
    private final Timeout timeout;
    private final Interceptor[] interceptors;
    private final FaultClassifier classifier;
    private final Clock clock;
    private final AtomicInteger inFlight;
    private final PipelineEvents report;
    private final RetryDecisions decisions;
    private final SyncHedging hedging;
    private final FallbackHandler fallbacks;
    private final OutcomeListeners outcomes;

    SyncExecutor(Pipeline p) {
        this.name = p.name;
        this.bulkhead = p.bulkhead;
        this.adaptiveLimit = p.adaptiveLimit;
        this.throttle = p.throttle;
        this.rateLimiter = p.rateLimiter;
        this.rateLimitWait = p.rateLimitWait;
        this.deadline = p.deadline;
        this.breaker = p.breaker;
        this.retry = p.retry;
        this.budget = p.budget;
        this.hedge = p.hedge;
        this.timeout = p.timeout;
        this.interceptors = p.interceptors;
        this.classifier = p.classifier;
        this.clock = p.clock;
        this.inFlight = p.inFlight;
        this.report = p.report;
        this.decisions = p.decisions;
        this.hedging = p.hedging;
        this.fallbacks = p.fallbacks;
        this.outcomes = p.outcomes;
    }

    <T> T run(CallContext context, Callable<T> attempt, Fallback<?> fallbackToUse) {
        Objects.requireNonNull(attempt, "attempt");
        if (outcomes.current() != null && outcomes.sampleTrace()) {
            return traced(context, attempt, fallbackToUse);
        }
        return untraced(context, attempt, fallbackToUse);
    }

    /** A sampled call: runs with a context (the caller's, the current one, or a new one) and hands its trace over. */
    private <T> T traced(CallContext context, Callable<T> attempt, Fallback<?> fallbackToUse) {
        CallContext ctx = context != null ? context : CallContext.current();
        if (ctx == null) {
            ctx = CallContext.idempotent(name); // what a call without a context is: idempotent work
        }
        // The same listeners hear the start and the end, even if one is unbound meanwhile.
        OutcomeListener listener = outcomes.current();
        if (listener == null) {
            return untraced(ctx, attempt, fallbackToUse);
        }
        Object token = listener.callStarting(name, false);
        try {
            return untraced(ctx, attempt, fallbackToUse);
        } finally {
            listener.callTraced(name, token, ctx.trace());
        }
    }

    private <T> T untraced(CallContext context, Callable<T> attempt, Fallback<?> fallbackToUse) {
        CallState state = CallState.current(); // context and deadline in one thread-local look-up
        CallContext current = state.context();
        CallContext ctx = context != null ? context : current;
        if (ctx == null && interceptors.length > 0) {
            ctx = CallContext.idempotent(name); // interceptors are promised a context
        }
        Deadline.Scope contextScope = ctx != null && ctx != current ? ctx.enter() : null;
        try {
            if (fallbackToUse == null) {
                return admitted(ctx, state, attempt);
            }
            try {
                return admitted(ctx, state, attempt);
            } catch (RuntimeException failure) {
                return fallbacks.fallBack(failure, fallbackToUse);
            }
        } finally {
            if (contextScope != null) {
                contextScope.close();
            }
        }
    }

    private <T> T admitted(CallContext ctx, CallState state, Callable<T> attempt) {
        Bulkhead b = bulkhead;
        if (b == null) {
            return adaptiveLimit == null ? throttled(ctx, state, attempt) : limited(ctx, state, attempt);
        }
        boolean admitted;
        long waitStart = ctx == null ? 0L : clock.nanoTime();
        try {
            admitted = b.tryAcquire(Long.MAX_VALUE); // waits only as long as the bulkhead allows
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw decisions.interrupted("waiting for a bulkhead slot", e);
        }
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "bulkhead", clock.nanoTime() - waitStart, admitted ? "ok" : "full");
        }
        if (!admitted) {
            throw rejected(new BulkheadFullException(b.name(), b.maxConcurrentCalls(), 0L));
        }
        try {
            return throttled(ctx, state, attempt);
        } finally {
            b.release();
        }
    }

    /** The adaptive limit's part of {@link #admitted}: admits by criticality, and learns from the outcome. */
    private <T> T limited(CallContext ctx, CallState state, Callable<T> attempt) {
        AdaptiveLimit a = adaptiveLimit;
        Criticality c = state.criticality == null ? Criticality.DEFAULT : state.criticality;
        long start = a.tryAcquire(c);
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "adaptive-limit", 0L,
                    start == AdaptiveLimit.NOT_ADMITTED ? "refused " + c.code() : "ok");
        }
        if (start == AdaptiveLimit.NOT_ADMITTED) {
            throw rejected(a.refusal(c));
        }
        T result;
        try {
            result = throttled(ctx, state, attempt);
        } catch (RuntimeException | Error failure) {
            a.onOutcome(c, start, classifier.classify(failure));
            throw failure;
        }
        a.onSuccess(c, start);
        return result;
    }

    /** Client-side throttling around the deadline: refuses locally, or reports whether the call was accepted. */
    private <T> T throttled(CallContext ctx, CallState state, Callable<T> attempt) {
        AdaptiveThrottle t = throttle;
        if (!Pipeline.throttleApplies(t, breaker)) {
            return withinDeadline(ctx, state, attempt);
        }
        if (!t.tryAcquire()) {
            throw rejected(new ThrottledException(name, t.rejectProbability()));
        }
        T result;
        try {
            result = withinDeadline(ctx, state, attempt);
        } catch (RuntimeException | Error failure) {
            t.onOutcome(classifier.classify(failure));
            throw failure;
        }
        t.onAccepted();
        return result;
    }

    private <T> T withinDeadline(CallContext ctx, CallState state, Callable<T> attempt) {
        if (deadline == null) {
            return guarded(ctx, state.deadline(), attempt);
        }
        Deadline d = Deadline.after(deadline, clock).withinCurrent();
        Deadline.Scope scope = d.enter();
        try {
            return guarded(ctx, d, attempt);
        } finally {
            scope.close();
        }
    }

    private <T> T guarded(CallContext ctx, Deadline d, Callable<T> attempt) {
        if (rateLimiter != null && !rateLimiter.tryAcquire(name, 1)) {
            throttled(); // no permit now: waits within the deadline or throws, in a method of its own
        }
        CircuitBreaker cb = breaker;
        // The clock is read only when something uses the time: a clock read can cost more than a
        // whole breaker on a virtual machine, and the plain success path needs none.
        boolean measure = ctx != null || d != null || (retry != null && retry.maxDurationNanos() > 0)
                || outcomes.current() != null;
        if (cb == null) {
            return retried(ctx, d, attempt, measure ? clock.nanoTime() : UNMEASURED, CircuitBreaker.NOT_PERMITTED);
        }
        return breakered(cb, ctx, d, attempt, measure);
    }

    /** The breaker's part of {@link #guarded}, in a method of its own so each stays under C2's inlining limit. */
    private <T> T breakered(CircuitBreaker cb, CallContext ctx, Deadline d, Callable<T> attempt, boolean measure) {
        BreakerHold held = BreakerHold.current();
        if (held.holds(cb)) {
            throw BreakerHold.reentered(cb);
        }
        long checkStart = ctx == null ? 0L : clock.nanoTime();
        long permit = cb.tryAcquirePermit();
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "breaker-check", clock.nanoTime() - checkStart,
                    permit == CircuitBreaker.NOT_PERMITTED ? "refused " + cb.state() : cb.state().name());
        }
        if (permit == CircuitBreaker.NOT_PERMITTED) {
            throw rejected(new CallNotPermittedException(cb.name(), cb.state(), cb.remainingOpenNanos()));
        }
        held.push(cb);
        boolean timed = cb.measuresDuration(); // slow-call detection needs the call's duration
        long start = timed || measure ? clock.nanoTime() : UNMEASURED;
        T result;
        try {
            result = retried(ctx, d, attempt, start, permit);
        } catch (RuntimeException | Error failure) {
            decisions.recordFailure(cb, permit, timed ? clock.nanoTime() - start : 0L, failure);
            throw failure;
        } finally {
            held.pop();
        }
        cb.onSuccess(permit, timed ? clock.nanoTime() - start : 0L);
        return result;
    }

    /** Waits for a rate-limit permit (bounded by rateLimitWait and the deadline), or throws. */
    private void throttled() {
        RateLimitDecision decision = new RateLimitDecision();
        try {
            if (rateLimiter.acquire(name, 1, rateLimitWait, decision)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw decisions.interrupted("waiting for a rate-limit permit", e);
        }
        throw new RateLimitedException(name, rateLimiter.name(), rateLimiter.policy().limit(), decision.retryAfterNanos());
    }

    private <T> T retried(CallContext ctx, Deadline d, Callable<T> attempt, long callStart, long permit) {
        Retry r = retry;
        int max = r == null ? 1 : r.maxAttempts();
        if (budget != null) {
            budget.onCall();
        }
        long previousDelay = 0;
        long attemptStart = callStart;
        // The loop handles the success path only; what follows a failure or a retryable result
        // lives in its own methods, so the loop stays small enough for the JIT to inline.
        for (int n = 1; ; n++) {
            if (ctx != null) {
                Attempts.set(ctx, n);
            }
            T result;
            try {
                result = attempt(ctx, d, attempt, n);
            } catch (Throwable failure) {
                previousDelay = backOffAfterFailure(r, ctx, d, failure, n, max, callStart, attemptStart, previousDelay, permit);
                attemptStart = clock.nanoTime();
                continue;
            }
            if (r != null && r.isRetryableResult(result) && n < max && (ctx == null || ctx.isSafeToRepeat())) {
                long delay = backOffOnResult(r, ctx, d, n, callStart, attemptStart, previousDelay, permit);
                if (delay >= 0) {
                    previousDelay = delay;
                    attemptStart = clock.nanoTime();
                    continue;
                }
            }
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "attempt", clock.nanoTime() - attemptStart, "ok");
            }
            if (n > 1) {
                report.retrySucceeded(n, max);
            }
            succeeded(n, callStart);
            return result;
        }
    }

    /**
     * After attempt {@code n} failed: ends the call by throwing, or backs off and returns the
     * delay waited, after which the next attempt runs.
     */
    private long backOffAfterFailure(Retry r, CallContext ctx, Deadline d, Throwable failure, int n, int max,
                                     long callStart, long attemptStart, long previousDelay, long permit) {
        OutcomeListener listener = outcomes.current();
        if (listener == null) {
            return afterFailure(r, ctx, d, failure, n, max, callStart, attemptStart, previousDelay, permit, null);
        }
        try {
            return afterFailure(r, ctx, d, failure, n, max, callStart, attemptStart, previousDelay, permit, listener);
        } catch (RuntimeException | Error end) {
            listener.callFailed(name, n, callStart == UNMEASURED ? 0L : clock.nanoTime() - callStart, classifier.classify(end));
            throw end;
        }
    }

    private long afterFailure(Retry r, CallContext ctx, Deadline d, Throwable failure, int n, int max, long callStart,
                              long attemptStart, long previousDelay, long permit, OutcomeListener listener) {
        long now = clock.nanoTime();
        long took = attemptStart == UNMEASURED ? UNMEASURED : now - attemptStart;
        if (failure instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        Fault fault = classifier.classify(failure);
        if (listener != null) {
            listener.attemptFailed(name, n, took == UNMEASURED ? 0L : took, fault);
        }
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "attempt", took, fault.toString());
        }
        if (failure instanceof Error error) {
            throw error; // never retried: the JVM is in trouble, not the dependency
        }
        if (failure instanceof InterruptedException) {
            throw decisions.interrupted("running attempt " + n, failure); // the caller wants to stop: never retried
        }
        String because = RetryDecisions.whyNotRetried(r, ctx, fault, failure, n, max);
        if (because != null) {
            throw decisions.giveUp(because, r != null && n >= max && r.isRetryable(fault, failure), fault, failure, n, max,
                    took, d);
        }
        long delay = RetryDecisions.nextDelay(r, n, previousDelay, fault);
        String stop = RetryDecisions.whyNotHonour(r, fault);
        if (stop == null) {
            stop = decisions.whyNotBackOff(r, d, callStart, now, delay, permit);
        }
        if (stop != null) {
            throw decisions.stopped(stop, fault, failure, n, max, took, d);
        }
        report.attemptFailed(fault, n, max, took, delay, d);
        if (!backOff(ctx, delay, failure, permit)) {
            throw decisions.stopped(RetryDecisions.STOP_BREAKER, fault, failure, n, max, took, d);
        }
        return delay;
    }

    /**
     * After attempt {@code n} returned a result the retry treats as a failure: backs off and
     * returns the delay waited, or returns -1 when the result is to be returned as it is.
     */
    private long backOffOnResult(Retry r, CallContext ctx, Deadline d, int n, long callStart, long attemptStart,
                                 long previousDelay, long permit) {
        long now = clock.nanoTime();
        long delay = RetryDecisions.nextDelay(r, n, previousDelay, null);
        if (decisions.whyNotBackOff(r, d, callStart, now, delay, permit) == null) {
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, "retry-on-result");
            }
            if (backOff(ctx, delay, null, permit)) {
                return delay;
            }
        }
        return -1L;
    }

    /** Reports a successful call; a method of its own so the retry loop stays small. */
    private void succeeded(int n, long callStart) {
        OutcomeListener listener = outcomes.current();
        if (listener != null) {
            listener.callSucceeded(name, n, callStart == UNMEASURED ? 0L : clock.nanoTime() - callStart);
        }
    }

    /** Reports a call refused before its first attempt, and returns the refusal to throw. */
    private RuntimeException rejected(RuntimeException refusal) {
        OutcomeListener listener = outcomes.current();
        if (listener != null) {
            listener.callRejected(name, classifier.classify(refusal));
        }
        return refusal;
    }

    /** Runs one attempt: interceptors, then hedge or timeout, then the user's callable. */
    private <T> T attempt(CallContext ctx, Deadline d, Callable<T> body, int n) throws Exception {
        Callable<T> work = interceptors.length == 0 ? body : new InterceptorChain<>(interceptors, 0, ctx, body);
        if (hedge != null && (ctx == null || ctx.isSafeToRepeat())) {
            return hedging.hedged(ctx, d, work, n);
        }
        Timeout t = timeout;
        if (t == null && d == null) {
            return work.call();
        }
        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
        if (left == 0) {
            throw DeadlineExceededException.noTimeFor(name, n,
                    "deadline " + Durations.format(d.budget()) + " passed before attempt " + n);
        }
        boolean byDeadline = t == null || left < t.nanos();
        long bound = byDeadline ? left : t.nanos();
        if (work instanceof SelfBoundedAttempt<T> self) {
            return selfBounded(self, bound, byDeadline, n);
        }
        return Timeout.bounded(name, d, ctx, work, bound, byDeadline, inFlight, n, report);
    }

    /**
     * An attempt that keeps the bound itself (an HTTP exchange) runs on the caller's thread: the
     * hand-off to an attempt thread cost the HTTP client with a deadline a third of a loopback
     * round trip. The deadline and context are already current here.
     */
    private <T> T selfBounded(SelfBoundedAttempt<T> attempt, long bound, boolean byDeadline, int n) throws Exception {
        inFlight.incrementAndGet();
        try {
            return attempt.callWithin(bound, byDeadline, () -> report.fired(n, bound, byDeadline));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /**
     * Sleeps the backoff on the pipeline's clock; with a breaker, in slices, returning false as
     * soon as the breaker has opened so the loop stops without waiting out the backoff.
     */
    private boolean backOff(CallContext ctx, long delay, Throwable last, long permit) {
        long start = clock.nanoTime();
        boolean completed = true;
        try {
            if (breaker == null) {
                clock.sleep(delay);
            } else {
                long end = start + delay;
                for (long left = delay; left > 0; left = end - clock.nanoTime()) {
                    clock.sleep(Math.min(left, BREAKER_POLL_NANOS));
                    if (!RetryDecisions.permitsRetry(breaker, permit)) {
                        completed = false;
                        break;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw decisions.interrupted("backing off before a retry", last != null ? last : e);
        } finally {
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "backoff", clock.nanoTime() - start, "ok");
            }
        }
        return completed;
    }
}
