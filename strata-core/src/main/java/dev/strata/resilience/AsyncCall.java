package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Criticality;
import dev.strata.call.Deadline;
import dev.strata.call.internal.Attempts;
import dev.strata.fault.Fault;
import dev.strata.observe.OutcomeListener;
import dev.strata.fault.Layer;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/** The state of one asynchronous logical call; its methods run on whichever thread completes a step. */
final class AsyncCall<T> {
    private final Pipeline p;
    final CompletableFuture<T> result = new CompletableFuture<>();
    final CallContext ctx;
    final Supplier<? extends CompletionStage<T>> supplier;
    final int max;
    Deadline deadlineInForce;
    volatile boolean slotHeld;
    /** The adaptive limit's admission time, or NOT_ADMITTED while no adaptive slot is held. */
    volatile long limitStart = AdaptiveLimit.NOT_ADMITTED;
    Criticality criticality = Criticality.DEFAULT;
    volatile boolean throttleHeld;
    volatile boolean permitHeld;
    long permit = CircuitBreaker.NOT_PERMITTED;
    long callStart;
    long attemptStart;
    long previousDelay;
    int n;
    volatile CompletableFuture<T> inFlightAttempt;
    volatile ScheduledFuture<?> timer;
    final AtomicBoolean finished = new AtomicBoolean();

    AsyncCall(Pipeline p, CallContext ctx, Supplier<? extends CompletionStage<T>> supplier) {
        this.p = p;
        this.ctx = ctx;
        this.supplier = supplier;
        this.max = p.retry == null ? 1 : p.retry.maxAttempts();
    }

    void start() {
        result.whenComplete((v, f) -> {
            if (result.isCancelled()) {
                CompletableFuture<T> running = inFlightAttempt;
                if (running != null) {
                    running.cancel(true);
                }
                ScheduledFuture<?> pending = timer;
                if (pending != null) {
                    pending.cancel(false);
                }
                finish(null, f); // frees the slot and the permit even when cancelled during a backoff
            }
        });
        if (p.bulkhead != null) {
            if (!p.bulkhead.tryAcquire()) {
                result.completeExceptionally(rejected(new BulkheadFullException(p.bulkhead.name(),
                        p.bulkhead.maxConcurrentCalls(), 0L)));
                return;
            }
            slotHeld = true;
        }
        if (p.adaptiveLimit != null) {
            criticality = Criticality.current(); // the caller's, read on the caller's thread
            long start = p.adaptiveLimit.tryAcquire(criticality);
            if (start == AdaptiveLimit.NOT_ADMITTED) {
                result.completeExceptionally(rejected(p.adaptiveLimit.refusal(criticality)));
                return;
            }
            limitStart = start;
        }
        if (Pipeline.throttleApplies(p.throttle, p.breaker)) {
            if (!p.throttle.tryAcquire()) {
                finish(null, rejected(new ThrottledException(p.name, p.throttle.rejectProbability())));
                return;
            }
            throttleHeld = true;
        }
        deadlineInForce = p.deadline == null ? Deadline.current() : Deadline.after(p.deadline, p.clock).withinCurrent();
        if (p.rateLimiter != null) {
            RateLimitDecision decision = new RateLimitDecision();
            if (!p.rateLimiter.tryAcquire(p.name, 1, decision)) { // the async path never waits for a permit
                finish(null, new RateLimitedException(p.name, p.rateLimiter.name(), p.rateLimiter.policy().limit(),
                        decision.retryAfterNanos()));
                return;
            }
        }
        if (p.breaker != null) {
            if (BreakerHold.heldByCurrentThread(p.breaker)) {
                finish(null, BreakerHold.reentered(p.breaker)); // started from inside an attempt this breaker guards
                return;
            }
            permit = p.breaker.tryAcquirePermit();
            if (permit == CircuitBreaker.NOT_PERMITTED) {
                finish(null, rejected(new CallNotPermittedException(p.breaker.name(), p.breaker.state(),
                        p.breaker.remainingOpenNanos())));
                return;
            }
            permitHeld = true;
        }
        try {
            if (p.budget != null) {
                p.budget.onCall();
            }
            callStart = p.clock.nanoTime();
            nextAttempt();
        } catch (RuntimeException | Error thrown) {
            finish(null, thrown); // e.g. an interceptor-less supplier path never throws, but a context's attempt hook may
        }
    }

    void nextAttempt() {
        if (result.isDone()) {
            return; // cancelled by the caller meanwhile
        }
        n++;
        attemptStart = p.clock.nanoTime();
        if (ctx != null) {
            Attempts.set(ctx, n);
        }
        Deadline d = deadlineInForce;
        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
        if (left == 0) {
            onAttemptFailed(DeadlineExceededException.noTimeFor(p.name, n, "deadline passed before attempt " + n));
            return;
        }
        CompletableFuture<T> stage = p.hedge != null && (ctx == null || ctx.isSafeToRepeat())
                ? new AsyncHedge<>(p, ctx, this::launchOne).start()
                : launchOne();
        inFlightAttempt = stage;
        stage.whenComplete((value, failure) -> {
            Throwable cause = failure == null ? null : RetryDecisions.unwrap(failure);
            try {
                if (failure == null) {
                    onAttemptSucceeded(value);
                } else {
                    onAttemptFailed(cause);
                }
            } catch (Throwable thrown) {
                // A user's predicate or classifier threw: whenComplete would swallow it and the
                // call would never complete, holding its bulkhead slot and breaker permit.
                callbackFailed(thrown, cause);
            }
        });
    }

    /** Creates one attempt's stage with the deadline current, bounded by the timeout and the deadline. */
    CompletableFuture<T> launchOne() {
        Deadline d = deadlineInForce;
        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
        if (left == 0) {
            return CompletableFuture.failedFuture(DeadlineExceededException.noTimeFor(p.name, n,
                    "deadline passed before attempt " + n + " could start"));
        }
        Supplier<? extends CompletionStage<T>> create = p.interceptors.length == 0 ? supplier : this::intercepted;
        Deadline.Scope deadlineScope = d == null ? null : d.enter();
        // The attempt may run on the timer's thread (after a backoff) or the caller's: either way
        // it sees the logical call's context, so a pipeline nested in it honours idempotency.
        Deadline.Scope contextScope = ctx == null || ctx == CallContext.current() ? null : ctx.enter();
        // While the stage is created, the breaker is held as on the sync path, so an async call
        // started inside it with the same breaker is refused instead of counting attempts.
        BreakerHold held = p.breaker == null ? null : BreakerHold.current();
        if (held != null) {
            held.push(p.breaker);
        }
        try {
            if (p.timeout == null && d == null) {
                return create.get().toCompletableFuture();
            }
            boolean byDeadline = p.timeout == null || left < p.timeout.nanos();
            return Timeout.boundedAsync(p.name, create, byDeadline ? left : p.timeout.nanos(), byDeadline, n, p.report);
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            if (held != null) {
                held.pop();
            }
            if (contextScope != null) {
                contextScope.close();
            }
            if (deadlineScope != null) {
                deadlineScope.close();
            }
        }
    }

    private CompletionStage<T> intercepted() {
        try {
            return new InterceptorChain<>(p.interceptors, 0, ctx, () -> supplier.get()).call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    void onAttemptSucceeded(T value) {
        long now = p.clock.nanoTime();
        if (p.retry != null && p.retry.isRetryableResult(value) && n < max && (ctx == null || ctx.isSafeToRepeat())) {
            long delay = RetryDecisions.nextDelay(p.retry, n, previousDelay, null);
            if (p.decisions.whyNotBackOff(p.retry, deadlineInForce, callStart, now, delay, permit) == null) {
                if (ctx != null) {
                    ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, "retry-on-result");
                }
                scheduleBackoff(delay, null, null);
                return;
            }
        }
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, "ok");
        }
        if (n > 1) {
            p.report.retrySucceeded(n, max);
        }
        finish(value, null);
    }

    void onAttemptFailed(Throwable failure) {
        long now = p.clock.nanoTime();
        Fault fault = p.classifier.classify(failure);
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, fault.toString());
        }
        OutcomeListener listener = p.outcomes.current();
        if (listener != null) {
            listener.attemptFailed(p.name, n, now - attemptStart, fault);
        }
        if (result.isCancelled()) {
            finish(null, failure);
            return;
        }
        String because = failure instanceof Error ? "error" : RetryDecisions.whyNotRetried(p.retry, ctx, fault, failure, n, max);
        if (because != null) {
            RuntimeException escaping = failure instanceof Error ? null
                    : p.decisions.giveUp(because, p.retry != null && n >= max && p.retry.isRetryable(fault, failure), fault, failure, n, max,
                            now - attemptStart, deadlineInForce);
            finish(null, escaping != null ? escaping : failure);
            return;
        }
        long delay = RetryDecisions.nextDelay(p.retry, n, previousDelay, fault);
        String stop = RetryDecisions.whyNotHonour(p.retry, fault);
        if (stop == null) {
            stop = p.decisions.whyNotBackOff(p.retry, deadlineInForce, callStart, now, delay, permit);
        }
        if (stop != null) {
            finish(null, p.decisions.stopped(stop, fault, failure, n, max, now - attemptStart, deadlineInForce));
            return;
        }
        p.report.attemptFailed(fault, n, max, now - attemptStart, delay, deadlineInForce);
        scheduleBackoff(delay, fault, failure);
    }

    /** Backs off on the shared timer, in slices when a breaker may open meanwhile. */
    void scheduleBackoff(long delay, Fault fault, Throwable failure) {
        long end = System.nanoTime() + delay;
        long backoffStart = p.clock.nanoTime();
        Runnable[] step = new Runnable[1];
        step[0] = () -> {
            try {
                backoffStep(step[0], end, backoffStart, delay, fault, failure);
            } catch (Throwable thrown) {
                callbackFailed(thrown, failure);
            }
        };
        timer = Scheduler.schedule(step[0], p.breaker == null ? delay : Math.min(delay, SyncExecutor.BREAKER_POLL_NANOS));
    }

    /** One slice of a backoff: ends the call when the breaker opened, reschedules, or starts the next attempt. */
    private void backoffStep(Runnable step, long end, long backoffStart, long delay, Fault fault, Throwable failure) {
        if (result.isDone()) {
            return;
        }
        if (p.breaker != null && !RetryDecisions.permitsRetry(p.breaker, permit)) {
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "backoff", p.clock.nanoTime() - backoffStart, "breaker-opened");
            }
            finish(null, failure == null ? new CallNotPermittedException(p.breaker.name(), p.breaker.state(),
                    p.breaker.remainingOpenNanos())
                    : p.decisions.stopped(RetryDecisions.STOP_BREAKER, fault, failure, n, max, 0L, deadlineInForce));
            return;
        }
        long left = end - System.nanoTime();
        if (left > 0) {
            timer = Scheduler.schedule(step, p.breaker == null ? left : Math.min(left, SyncExecutor.BREAKER_POLL_NANOS));
            return;
        }
        if (ctx != null) {
            ctx.trace().record(Layer.RESILIENCE, "backoff", p.clock.nanoTime() - backoffStart, "ok");
        }
        previousDelay = delay;
        nextAttempt();
    }

    /**
     * Ends the call with what user code threw inside one of the pipeline's callbacks (a retry
     * predicate, a classifier, an interceptor), as the sync path lets it escape; the attempt's own
     * failure stays visible as suppressed.
     */
    void callbackFailed(Throwable thrown, Throwable attemptFailure) {
        if (attemptFailure != null && attemptFailure != thrown) {
            thrown.addSuppressed(attemptFailure);
        }
        finish(null, thrown);
    }

    /** Reports a call refused before its first attempt, and returns the refusal. */
    private RuntimeException rejected(RuntimeException refusal) {
        OutcomeListener listener = p.outcomes.current();
        if (listener != null) {
            listener.callRejected(p.name, p.classifier.classify(refusal));
        }
        return refusal;
    }

    /**
     * Completes the call exactly once: tells the breaker, frees the bulkhead slot and completes
     * the future, each step reached whatever the one before it threw.
     */
    void finish(T value, Throwable failure) {
        if (!finished.compareAndSet(false, true)) {
            return; // already finished, e.g. cancelled by the caller while the attempt still ran
        }
        long took = p.clock.nanoTime() - callStart;
        Throwable outcome = failure;
        try {
            reportOutcome(failure, took);
            if (permitHeld) {
                permitHeld = false;
                outcome = settleBreaker(failure, took);
            }
        } finally {
            try {
                if (slotHeld) {
                    slotHeld = false;
                    p.bulkhead.release();
                }
                releaseAdaptive(failure);
            } finally {
                if (outcome == null) {
                    result.complete(value);
                } else {
                    result.completeExceptionally(outcome);
                }
            }
        }
    }

    /** Reports the outcome to the adaptive limit and the throttle, if they admitted this call. */
    private void releaseAdaptive(Throwable failure) {
        Fault fault = null;
        if (failure != null && (limitStart != AdaptiveLimit.NOT_ADMITTED || throttleHeld)) {
            fault = p.classifier.classify(RetryDecisions.unwrap(failure));
        }
        if (throttleHeld) {
            throttleHeld = false;
            p.throttle.onOutcome(fault);
        }
        long start = limitStart;
        if (start != AdaptiveLimit.NOT_ADMITTED) {
            limitStart = AdaptiveLimit.NOT_ADMITTED;
            p.adaptiveLimit.onOutcome(criticality, start, fault);
        }
    }

    /**
     * Tells the breaker the call's outcome and returns what the call ends with: {@code failure},
     * or, when telling it threw (a user's classifier or {@code recordFault}), what was thrown,
     * after freeing the permit without an outcome.
     */
    private Throwable settleBreaker(Throwable failure, long took) {
        try {
            if (failure == null) {
                p.breaker.onSuccess(permit, took);
            } else if (result.isCancelled()) {
                p.breaker.releasePermission(permit);
            } else {
                p.decisions.recordFailure(p.breaker, permit, took, failure);
            }
            return failure;
        } catch (RuntimeException | Error thrown) {
            p.breaker.releasePermission(permit);
            if (failure != null && failure != thrown) {
                thrown.addSuppressed(failure);
            }
            return thrown;
        }
    }

    /**
     * Tells the outcome listener (metrics) how the call ended. What it throws, or the classifier
     * it asks, is not the call's outcome: it must neither change the result nor stop the slot and
     * permit from being released, so it is dropped here.
     */
    private void reportOutcome(Throwable failure, long took) {
        OutcomeListener listener = p.outcomes.current();
        if (listener == null || n == 0 || result.isCancelled()) {
            return;
        }
        try {
            if (failure == null) {
                listener.callSucceeded(p.name, n, took);
            } else {
                listener.callFailed(p.name, n, took, p.classifier.classify(failure));
            }
        } catch (RuntimeException listenerFailed) {
            // see above: metrics never decide a call
        }
    }
}
