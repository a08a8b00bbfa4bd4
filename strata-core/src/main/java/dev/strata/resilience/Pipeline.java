package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.CallState;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.call.Interceptor;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.OutcomeListeners;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The resilience policies of one dependency, nested in the one order that keeps them honest,
 * whatever order the builder was called in:
 *
 * <pre>
 * Fallback                  last resort; knows why it was invoked
 *   Bulkhead                reject when full (bounded wait at most)
 *     Deadline (total)      every wait below spends from it
 *       CircuitBreaker      ONE outcome per logical call
 *         Retry             + budget, backoff, jitter; asks the breaker before each new attempt
 *           Hedge           extra attempts beside a slow one
 *             Timeout       per attempt
 *               Interceptors (innermost, in the order added)
 *                 the attempt you pass
 * </pre>
 *
 * <p>The {@code Callable} you pass is invoked once per attempt, so whatever it acquires (a pooled
 * connection) it releases before the retry backs off.
 *
 * <h2>What escapes {@link #execute(Callable)}</h2>
 * Always an unchecked exception whose fault {@link FaultClassifier#DEFAULT} can classify with its layer:
 * <ul>
 *   <li>a failure that is not retried (an {@link Layer#APPLICATION} fault, a non-retryable kind, or a
 *       call that is not safe to repeat) escapes unchanged when unchecked; a checked one is wrapped
 *       in a {@link StrataException} carrying its classified fault, with the original as cause;</li>
 *   <li>{@link RetriesExhaustedException} when retryable failures used up the attempts or the
 *       retry's maximum duration (cause: the last failure);</li>
 *   <li>{@link DeadlineExceededException} when the deadline ran out or the next backoff would end
 *       past it (cause: the last failure, if any);</li>
 *   <li>{@link AttemptTimeoutException} when the only attempt timed out;</li>
 *   <li>{@link CallNotPermittedException} when the breaker refused the call, or left the CLOSED
 *       state that admitted it before a retry (then the last failure is attached
 *       {@linkplain Throwable#getSuppressed() as suppressed});</li>
 *   <li>{@link BulkheadFullException} when no slot was free;</li>
 *   <li>a {@link StrataException} of kind {@link FaultKind#RETRY_BUDGET_EXHAUSTED} when the retry
 *       budget refused a retry (cause: the last failure).</li>
 * </ul>
 * The breaker records the dependency's own failure (the cause), not the wrapper, so a run of
 * timeouts opens it and a 404 does not.
 *
 * <h2>Build-time budget check</h2>
 * With a deadline and a retry, {@link Builder#build()} checks that every configured attempt can at
 * least start inside the deadline: {@code (maxAttempts - 1) x timeout + minimum total backoff <
 * deadline}, where the minimum backoff is what the jitter can shrink it to (zero for full jitter)
 * and a retry without a timeout counts zero per attempt. A configuration where the last attempt
 * could never begin fails with the numbers. It deliberately allows the deadline to cut the last
 * attempt short: 3 attempts of 2 s under a 5 s deadline is valid, and the deadline bounds it.
 *
 * <h2>Breakers count logical calls</h2>
 * There is no way to place the breaker inside the retry. Using the same breaker again inside an
 * attempt (a nested pipeline guarded by the breaker that already guards this call) would count
 * attempts, so it is refused with an {@link IllegalStateException} when attempted, on the sync
 * and the async path alike (an async call refused this way completes with that exception).
 *
 * <p>Each call holds the breaker's permit for the period that admitted it, and the retry asks the
 * breaker before each new attempt: a call admitted while CLOSED makes further attempts only while
 * that CLOSED period lasts, so it never becomes an unofficial probe when the breaker opens and its
 * wait elapses during a backoff. A half-open probe gets one attempt; its failure escapes as the
 * other failures above do and decides the probe.
 *
 * <h2>Cost</h2>
 * Without a deadline and a timeout, the success path allocates nothing and runs on the caller's
 * thread. A deadline costs one {@link Deadline} and a scope per call. A deadline or a timeout
 * bounds each attempt as {@link Timeout} describes: the caller, platform or virtual, hands the
 * attempt to a new virtual thread so it is released exactly at the bound even when the attempt
 * ignores interrupts. Hedged attempts run on virtual threads too.
 *
 * <p>An attempt abandoned at its timeout may still be ending (its interrupt being processed)
 * while the retry backs off; everything else an attempt acquires is released before the backoff.
 *
 * <p>Instances are immutable, thread-safe and meant to be shared: build one per dependency.
 */
public final class Pipeline {

    /** How often a backoff checks whether the breaker has opened meanwhile. */
    static final long BREAKER_POLL_NANOS = 20_000_000L;

    private static final ThreadLocal<CircuitBreaker> HELD_BREAKER = new ThreadLocal<>();
    private static final Interceptor[] NO_INTERCEPTORS = new Interceptor[0];
    /** A start time that was not read because nothing needed it. */
    private static final long UNMEASURED = Long.MIN_VALUE;

    private final String name;
    private final Fallback<?> fallback;
    private final Bulkhead bulkhead;
    private final Duration deadline;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final RetryBudget budget;
    private final Hedge hedge;
    private final Timeout timeout;
    private final Interceptor[] interceptors;
    private final FaultClassifier classifier;
    private final Clock clock;
    private final EventBus events;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Meters and traces; read once per call, null while nothing is bound. */
    private final OutcomeListeners outcomes = new OutcomeListeners();
    /** Created once, so bounding an attempt allocates nothing for its events. */
    private final Timeout.Expiry timeoutReporter = this::timeoutFired;

    private Pipeline(Builder b) {
        this.name = b.name;
        this.fallback = b.fallback;
        this.bulkhead = b.bulkhead;
        this.deadline = b.deadline;
        this.breaker = b.breaker;
        this.retry = b.retry;
        this.budget = b.retry != null || b.hedge != null ? b.budget : null;
        this.hedge = b.hedge;
        this.timeout = b.timeout;
        this.interceptors = b.interceptors.isEmpty() ? NO_INTERCEPTORS : b.interceptors.toArray(new Interceptor[0]);
        this.classifier = b.classifier == null ? FaultClassifier.DEFAULT : b.classifier.orElse(FaultClassifier.DEFAULT);
        this.clock = b.clock;
        this.events = b.events;
    }

    /** Starts a pipeline for the named dependency. */
    public static Builder builder(String dependency) {
        return new Builder(dependency);
    }

    /** The dependency's name, used in events and exceptions. */
    public String name() {
        return name;
    }

    /**
     * Reports the outcome of every logical call, attempt, rejection and fallback to
     * {@code listener} until the returned handle is closed. While nothing is bound the hot path
     * only checks one field; see {@link OutcomeListener}.
     */
    public AutoCloseable listen(OutcomeListener listener) {
        return outcomes.add(listener);
    }

    /** Attempts running on their own thread now, including timed-out ones that have not ended yet. */
    public int inFlightAttempts() {
        return inFlight.get();
    }

    // ------------------------------------------------------------------ synchronous

    /**
     * Runs a logical call of idempotent work (or of the {@link CallContext#current() current}
     * context) through every policy, invoking {@code attempt} once per attempt.
     *
     * @return the first successful result, or the fallback's value
     * @throws RuntimeException as described in the class documentation
     */
    public <T> T execute(Callable<T> attempt) {
        return run(null, attempt, fallback);
    }

    /**
     * Like {@link #execute(Callable)} for the given context: a non-idempotent context without an
     * idempotency key is attempted exactly once, and attempts and backoffs are recorded in its trace.
     */
    public <T> T execute(CallContext context, Callable<T> attempt) {
        return run(context, attempt, fallback);
    }

    /** Like {@link #execute(CallContext, Callable)} with a fallback for this call, tried before the pipeline's own. */
    public <T> T execute(CallContext context, Callable<T> attempt, Fallback<? extends T> callFallback) {
        Require.nonNull("callFallback", callFallback);
        Fallback<?> chained = fallback == null ? callFallback : callFallback.orElse(castFallback(fallback));
        return run(context, attempt, chained);
    }

    @SuppressWarnings("unchecked")
    private static <T> Fallback<T> castFallback(Fallback<?> fallback) {
        return (Fallback<T>) fallback;
    }

    private <T> T run(CallContext context, Callable<T> attempt, Fallback<?> fallbackToUse) {
        Objects.requireNonNull(attempt, "attempt");
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
                return fallBack(failure, fallbackToUse);
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
            return withinDeadline(ctx, state, attempt);
        }
        boolean admitted;
        try {
            admitted = b.tryAcquire(Long.MAX_VALUE); // waits only as long as the bulkhead allows
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("waiting for a bulkhead slot", e);
        }
        if (!admitted) {
            BulkheadFullException full = new BulkheadFullException(b.name(), b.maxConcurrentCalls(), 0L);
            rejected(full);
            throw full;
        }
        try {
            return withinDeadline(ctx, state, attempt);
        } finally {
            b.release();
        }
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
        CircuitBreaker cb = breaker;
        // The clock is read only when something uses the time: a clock read can cost more than a
        // whole breaker on a virtual machine, and the plain success path needs none.
        boolean measure = ctx != null || d != null || (retry != null && retry.maxDurationNanos() > 0)
                || outcomes.current() != null;
        if (cb == null) {
            return retried(ctx, d, attempt, measure ? clock.nanoTime() : UNMEASURED, CircuitBreaker.NOT_PERMITTED);
        }
        CircuitBreaker outer = HELD_BREAKER.get();
        if (outer == cb) {
            throw reentered(cb);
        }
        long permit = cb.tryAcquirePermit();
        if (permit == CircuitBreaker.NOT_PERMITTED) {
            CallNotPermittedException refused = new CallNotPermittedException(cb.name(), cb.state(), cb.remainingOpenNanos());
            rejected(refused);
            throw refused;
        }
        HELD_BREAKER.set(cb);
        boolean timed = cb.measuresDuration(); // slow-call detection needs the call's duration
        long start = timed || measure ? clock.nanoTime() : UNMEASURED;
        T result;
        try {
            result = retried(ctx, d, attempt, start, permit);
        } catch (RuntimeException | Error failure) {
            cb.onFailure(permit, timed ? clock.nanoTime() - start : 0L, outcomeFault(failure));
            throw failure;
        } finally {
            HELD_BREAKER.set(outer);
        }
        cb.onSuccess(permit, timed ? clock.nanoTime() - start : 0L);
        return result;
    }

    private static IllegalStateException reentered(CircuitBreaker cb) {
        return new IllegalStateException("circuitBreaker '" + cb.name() + "' already guards the logical call this attempt"
                + " belongs to; using it again inside an attempt would count attempts instead of calls");
    }

    static CircuitBreaker heldBreaker() {
        return HELD_BREAKER.get();
    }

    static void holdBreaker(CircuitBreaker breaker) {
        if (breaker == null) {
            HELD_BREAKER.remove();
        } else {
            HELD_BREAKER.set(breaker);
        }
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
                ctx.attempt(n);
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
                retrySucceeded(n, max);
            }
            OutcomeListener listener = outcomes.current();
            if (listener != null) {
                listener.callSucceeded(name, n, callStart == UNMEASURED ? 0L : clock.nanoTime() - callStart);
            }
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
            return decideAfterFailure(r, ctx, d, failure, n, max, callStart, attemptStart, previousDelay, permit, null);
        }
        try {
            return decideAfterFailure(r, ctx, d, failure, n, max, callStart, attemptStart, previousDelay, permit, listener);
        } catch (RuntimeException | Error end) {
            listener.callFailed(name, n, callStart == UNMEASURED ? 0L : clock.nanoTime() - callStart, classifier.classify(end));
            throw end;
        }
    }

    private long decideAfterFailure(Retry r, CallContext ctx, Deadline d, Throwable failure, int n, int max,
                                    long callStart, long attemptStart, long previousDelay, long permit,
                                    OutcomeListener listener) {
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
            throw interrupted("running attempt " + n, failure); // the caller wants to stop: never retried
        }
        String because = whyNotRetried(r, ctx, fault, failure, n, max);
        if (because != null) {
            throw giveUp(because, r != null && n >= max && r.isRetryable(fault, failure), fault, failure, n, max, took, d);
        }
        long delay = nextDelay(r, n, previousDelay, fault);
        String stop = whyNotBackOff(r, d, callStart, now, delay, permit);
        if (stop != null) {
            throw stopped(stop, fault, failure, n, max, took, d);
        }
        if (events.isActive(Level.WARNING)) {
            publish(Level.WARNING, "retry.attempt-failed", fault, "attempt " + n + "/" + max + " failed: " + fault
                    + after(took) + "; retrying in " + Durations.format(delay) + deadlineLeft(d));
        }
        if (!backOff(ctx, delay, failure, permit)) {
            throw stopped(STOP_BREAKER, fault, failure, n, max, took, d);
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
        long delay = nextDelay(r, n, previousDelay, null);
        if (whyNotBackOff(r, d, callStart, now, delay, permit) == null) {
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, "retry-on-result");
            }
            if (backOff(ctx, delay, null, permit)) {
                return delay;
            }
        }
        return -1L;
    }

    /** Runs one attempt: interceptors, then hedge or timeout, then the user's callable. */
    private <T> T attempt(CallContext ctx, Deadline d, Callable<T> body, int n) throws Exception {
        Callable<T> work = interceptors.length == 0 ? body : new InterceptorChain<>(interceptors, 0, ctx, body);
        if (hedge != null && (ctx == null || ctx.isSafeToRepeat())) {
            return hedged(ctx, d, work, n);
        }
        Timeout t = timeout;
        if (t == null && d == null) {
            return work.call();
        }
        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
        if (left == 0) {
            throw new DeadlineExceededException(name, "no time left for attempt " + n,
                    "deadline " + Durations.format(d.budget()) + " passed before attempt " + n, null);
        }
        boolean byDeadline = t == null || left < t.nanos();
        return Timeout.bounded(name, d, ctx, work, byDeadline ? left : t.nanos(), byDeadline, inFlight, n, timeoutReporter);
    }

    /** Reports attempt {@code n}'s bound firing as a {@code timeout.fired} event, built only when someone listens. */
    private void timeoutFired(int n, long boundNanos, boolean byDeadline) {
        int max = retry == null ? 1 : retry.maxAttempts();
        if (byDeadline) {
            if (events.isActive(Level.WARNING)) {
                publish(Level.WARNING, "timeout.fired", Fault.of(FaultKind.DEADLINE_EXCEEDED, "during attempt " + n),
                        "attempt " + n + "/" + max + " cut by the deadline: " + Durations.format(boundNanos)
                                + " were left when it began");
            }
        } else if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "timeout.fired", Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after " + Durations.format(boundNanos)),
                    "attempt " + n + "/" + max + " timed out after its " + Durations.format(boundNanos) + " timeout; interrupted");
        }
    }

    /** Interceptors nest in the order added, the first outermost, the callable innermost. */
    private record InterceptorChain<T>(Interceptor[] chain, int index, CallContext context, Callable<T> body)
            implements Callable<T> {
        @Override
        public T call() throws Exception {
            Callable<T> next = index + 1 == chain.length ? body : new InterceptorChain<>(chain, index + 1, context, body);
            return chain[index].intercept(context, next);
        }
    }

    // ------------------------------------------------------------------ retry decisions

    private static final String STOP_BREAKER = "the circuit breaker opened";
    private static final String STOP_PROBE = "a half-open probe gets one attempt";
    private static final String STOP_BUDGET = "the retry budget is exhausted";

    /** Why a failure ends the call, or null when it may be retried (budget, deadline, breaker still to check). */
    private static String whyNotRetried(Retry r, CallContext ctx, Fault fault, Throwable failure, int n, int max) {
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

    private static long nextDelay(Retry r, int n, long previousDelay, Fault fault) {
        long delay = r.backoff().delayNanos(n, previousDelay, r.jitter());
        Duration hint = fault == null ? null : fault.retryAfter();
        if (hint != null) {
            delay = Math.max(delay, hint.toNanos()); // never come back earlier than the dependency asked
        }
        return delay;
    }

    /**
     * Why the loop must not back off for {@code delay}, or null when it may. Checks the retry's
     * maximum duration, the deadline, the breaker and, last because it spends a token, the budget.
     */
    private String whyNotBackOff(Retry r, Deadline d, long callStart, long now, long delay, long permit) {
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
    private boolean mayRepeat(CallContext ctx, Fault fault, Throwable failure) {
        if (ctx != null && !ctx.isSafeToRepeat()) {
            return false;
        }
        return retry != null ? retry.isRetryable(fault, failure) : fault.layer() != Layer.APPLICATION && fault.retryable();
    }

    /**
     * Whether the breaker still lets the logical call holding {@code permit} make another attempt:
     * only while it stays in the CLOSED (or DISABLED) period that admitted the call. A call admitted
     * while closed must not turn into an unofficial probe once the breaker opened, even when the
     * open wait has elapsed meanwhile, and a probe gets one attempt.
     */
    private static boolean permitsRetry(CircuitBreaker cb, long permit) {
        return cb.permitsAnotherAttempt(permit);
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
                    if (!permitsRetry(breaker, permit)) {
                        completed = false;
                        break;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("backing off before a retry", last != null ? last : e);
        } finally {
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "backoff", clock.nanoTime() - start, "ok");
            }
        }
        return completed;
    }

    private RuntimeException giveUp(String because, boolean exhausted, Fault fault, Throwable failure, int n, int max,
                                    long took, Deadline d) {
        Level level = fault.layer() == Layer.APPLICATION ? Level.INFO : Level.WARNING;
        if (events.isActive(level)) {
            publish(level, retry == null ? "call.failed" : "retry.gave-up", fault, "attempt " + n + "/" + max + " failed: " + fault
                    + after(took) + "; " + (exhausted ? "giving up: " : "not retried: ") + because
                    + deadlineLeft(d));
        }
        if (exhausted && max > 1) {
            return new RetriesExhaustedException(name, n, fault, "all " + n + " attempts failed", failure);
        }
        return unchecked(failure, fault);
    }

    private RuntimeException stopped(String because, Fault fault, Throwable failure, int n, int max, long took, Deadline d) {
        if (events.isActive(Level.WARNING)) {
            publish(Level.WARNING, "retry.gave-up", fault, "attempt " + n + "/" + max + " failed: " + fault + after(took)
                    + "; giving up: " + because + deadlineLeft(d));
        }
        if (because == STOP_PROBE) {
            return unchecked(failure, fault); // the probe's own failure, which the breaker records
        }
        if (because == STOP_BREAKER) {
            CallNotPermittedException refused = new CallNotPermittedException(breaker.name(), breaker.state(),
                    breaker.remainingOpenNanos());
            refused.addSuppressed(failure); // its cause is fixed by its constructor; the last failure stays visible
            return refused;
        }
        if (because == STOP_BUDGET) {
            return new StrataException(Fault.of(FaultKind.RETRY_BUDGET_EXHAUSTED, "after attempt " + n + ", last " + fault),
                    name, "retry budget refused a retry", failure);
        }
        if (because.startsWith("max duration")) {
            return new RetriesExhaustedException(name, n, fault, because, failure);
        }
        return new DeadlineExceededException(name, because, "gave up after attempt " + n + ", last " + fault, failure);
    }

    private void retrySucceeded(int n, int max) {
        if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "retry.succeeded", null, "attempt " + n + "/" + max + " succeeded after " + (n - 1)
                    + (n == 2 ? " retry" : " retries"));
        }
    }

    /** {@code " after 2ms"}, or nothing when the attempt's start was not measured. */
    private static String after(long took) {
        return took == UNMEASURED ? "" : " after " + Durations.format(took);
    }

    private static String deadlineLeft(Deadline d) {
        return d == null ? "" : " (deadline left " + Durations.format(d.remainingNanos()) + ")";
    }

    private RuntimeException unchecked(Throwable failure, Fault fault) {
        if (failure instanceof RuntimeException re) {
            return re;
        }
        return new StrataException(fault, name, "attempt failed: " + failure, failure);
    }

    private StrataException interrupted(String doing, Throwable cause) {
        return new StrataException(Fault.of(FaultKind.UNCLASSIFIED, "interrupted"), name, "interrupted while " + doing, cause);
    }

    /**
     * The fault the breaker should record for a failed logical call: the dependency's own
     * failure behind Strata's wrappers, so that retries exhausted on resets count as resets.
     */
    private Fault outcomeFault(Throwable failure) {
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

    // ------------------------------------------------------------------ hedging

    /**
     * Runs the attempt on a virtual thread, adding a hedge each time {@link Hedge#delay()} passes
     * without a success (or at once when every running attempt has failed), up to the limit and
     * as far as the budget allows. The first success wins; the others are interrupted. Each
     * hedge is bounded by the timeout from its own start and by the deadline.
     */
    private <T> T hedged(CallContext ctx, Deadline d, Callable<T> work, int n) throws Exception {
        int slots = 1 + hedge.maxHedges();
        @SuppressWarnings({"unchecked", "rawtypes"})
        BoundedAttempt<T>[] running = new BoundedAttempt[slots];
        long[] ends = new long[slots];
        long[] bounds = new long[slots];
        boolean[] settled = new boolean[slots];
        int launched = 0;
        boolean mayHedge = true;
        Exception lastFailure = null;
        long nextHedgeAt = 0;
        try {
            while (true) {
                long now = System.nanoTime();
                boolean anyRunning = false;
                for (int i = 0; i < launched; i++) {
                    if (settled[i]) {
                        continue;
                    }
                    if (running[i].isDone()) {
                        settled[i] = true;
                        try {
                            return running[i].result();
                        } catch (Exception failure) {
                            if (!mayRepeat(ctx, classifier.classify(failure), failure)) {
                                throw failure; // e.g. a 404: the answer, not a reason to ask again
                            }
                            lastFailure = failure;
                        }
                    } else if (now - ends[i] >= 0 && running[i].abandon()) {
                        settled[i] = true;
                        lastFailure = boundExceeded(d, ends[i]);
                        if (events.isActive(Level.WARNING)) {
                            timeoutFired(n, bounds[i], lastFailure instanceof DeadlineExceededException);
                        }
                    } else {
                        anyRunning = true;
                    }
                }
                boolean due = launched == 0 || !anyRunning || now - nextHedgeAt >= 0;
                if (due && launched < slots && mayHedge) {
                    if (launched > 0 && budget != null && !budget.tryWithdraw()) {
                        mayHedge = false;
                    } else {
                        long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
                        if (left == 0) {
                            mayHedge = false;
                        } else {
                            long bound = timeout == null ? left : Math.min(timeout.nanos(), left);
                            if (launched > 0 && events.isActive(Level.DEBUG)) {
                                publish(Level.DEBUG, "hedge.started", null, "hedge " + launched + "/" + hedge.maxHedges()
                                        + " started: no answer after " + Durations.format(hedge.delayNanos()));
                            }
                            running[launched] = BoundedAttempt.start(work, d, ctx, inFlight);
                            ends[launched] = now + bound;
                            bounds[launched] = bound;
                            launched++;
                            nextHedgeAt = now + hedge.delayNanos();
                            anyRunning = true;
                        }
                    }
                }
                if (!anyRunning) {
                    if (lastFailure == null) {
                        throw new DeadlineExceededException(name, "no time left for an attempt", "deadline passed", null);
                    }
                    throw lastFailure;
                }
                long wake = Long.MAX_VALUE;
                for (int i = 0; i < launched; i++) {
                    if (!settled[i]) {
                        wake = Math.min(wake, ends[i] - now);
                    }
                }
                if (launched < slots && mayHedge) {
                    wake = Math.min(wake, nextHedgeAt - now);
                }
                if (wake > 0) {
                    LockSupport.parkNanos(this, wake);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            for (int i = 0; i < launched; i++) {
                running[i].abandon(); // the losers (no-op for the winner and the finished)
            }
        }
    }

    private Exception boundExceeded(Deadline d, long end) {
        if (d != null && d.isExpired()) {
            return new DeadlineExceededException(name, "attempt cut at the deadline", "the deadline passed during a hedged attempt", null);
        }
        return new AttemptTimeoutException(name, timeout == null ? 0L : timeout.nanos());
    }

    // ------------------------------------------------------------------ fallback and events

    @SuppressWarnings("unchecked")
    private <T> T fallBack(RuntimeException failure, Fallback<?> chain) {
        Fault fault = classifier.classify(failure);
        Fallback.Cause cause = new Fallback.Cause(name, fault, failure);
        if (!chain.matches(cause)) {
            throw failure;
        }
        if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "fallback.invoked", fault, "fallback invoked for " + fault);
        }
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
            if (events.isActive(Level.WARNING)) {
                publish(Level.WARNING, "fallback.failed", fault, "fallback for " + fault + " failed too: "
                        + failed.stream().map(Throwable::toString).toList() + "; the original failure stands");
            }
            throw failure;
        }
        if (listener != null) {
            listener.fallbackInvoked(name, fault, true);
        }
        // A later fallback answered, but the ones before it failed: a broken cache must still be seen.
        if (!failed.isEmpty() && events.isActive(Level.WARNING)) {
            for (int i = 0; i < failed.size(); i++) {
                publish(Level.WARNING, "fallback.failed", fault, "fallback " + (i + 1) + " for " + fault + " failed: "
                        + failed.get(i) + "; a later fallback in the chain answered");
            }
        }
        return value;
    }

    /** Reports a call refused before its first attempt. */
    private void rejected(RuntimeException refusal) {
        OutcomeListener listener = outcomes.current();
        if (listener != null) {
            listener.callRejected(name, classifier.classify(refusal));
        }
    }

    private void publish(Level level, String type, Fault fault, String message) {
        events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.RESILIENCE, level, fault, message));
    }

    // ------------------------------------------------------------------ asynchronous

    /** Asynchronous {@link #execute(Callable)}: the supplier is called once per attempt. */
    public <T> CompletableFuture<T> executeAsync(Supplier<? extends CompletionStage<T>> attempt) {
        return executeAsync(null, attempt);
    }

    /**
     * Runs a logical call whose attempts return a {@link CompletionStage}. The same policies apply
     * in the same order, without blocking a thread: backoffs, timeouts and hedges are timed by the
     * shared timer, which hands each one to a new virtual thread, so the supplier and the callbacks
     * on the returned future never run on the timer and a slow supplier delays no other call. A
     * bulkhead never waits (it rejects when full), a timed-out attempt's future is cancelled,
     * interceptors run around the creation of each attempt's stage, and hedges are cancelled when
     * another attempt wins. Cancelling the returned future cancels the attempt in flight.
     *
     * @return a future completing with the result, the fallback's value, or the failure described
     *     in the class documentation
     */
    public <T> CompletableFuture<T> executeAsync(CallContext context, Supplier<? extends CompletionStage<T>> attempt) {
        Objects.requireNonNull(attempt, "attempt");
        CallContext ctx = context != null ? context : CallContext.current();
        if (ctx == null && interceptors.length > 0) {
            ctx = CallContext.idempotent(name);
        }
        AsyncCall<T> call = new AsyncCall<>(ctx, attempt);
        call.start();
        CompletableFuture<T> outcome = call.result;
        if (fallback == null) {
            return outcome;
        }
        CompletableFuture<T> withFallback = new CompletableFuture<>();
        outcome.whenComplete((value, failure) -> {
            if (failure == null) {
                withFallback.complete(value);
                return;
            }
            try {
                withFallback.complete(fallBack(asRuntime(unwrap(failure)), fallback));
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

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private RuntimeException asRuntime(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        return new StrataException(classifier.classify(t), name, "attempt failed: " + t, t);
    }

    /** The state of one asynchronous logical call; its methods run on whichever thread completes a step. */
    private final class AsyncCall<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final CallContext ctx;
        final Supplier<? extends CompletionStage<T>> supplier;
        final int max = retry == null ? 1 : retry.maxAttempts();
        Deadline deadlineInForce;
        volatile boolean slotHeld;
        volatile boolean permitHeld;
        long permit = CircuitBreaker.NOT_PERMITTED;
        long callStart;
        long attemptStart;
        long previousDelay;
        int n;
        volatile CompletableFuture<T> inFlightAttempt;
        volatile ScheduledFuture<?> timer;
        final AtomicBoolean finished = new AtomicBoolean();

        AsyncCall(CallContext ctx, Supplier<? extends CompletionStage<T>> supplier) {
            this.ctx = ctx;
            this.supplier = supplier;
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
            if (bulkhead != null) {
                if (!bulkhead.tryAcquire()) {
                    BulkheadFullException full = new BulkheadFullException(bulkhead.name(), bulkhead.maxConcurrentCalls(), 0L);
                    rejected(full);
                    result.completeExceptionally(full);
                    return;
                }
                slotHeld = true;
            }
            deadlineInForce = deadline == null ? Deadline.current() : Deadline.after(deadline, clock).withinCurrent();
            if (breaker != null) {
                if (HELD_BREAKER.get() == breaker) {
                    finish(null, reentered(breaker)); // started from inside an attempt this breaker guards
                    return;
                }
                permit = breaker.tryAcquirePermit();
                if (permit == CircuitBreaker.NOT_PERMITTED) {
                    CallNotPermittedException refused = new CallNotPermittedException(breaker.name(), breaker.state(),
                            breaker.remainingOpenNanos());
                    rejected(refused);
                    finish(null, refused);
                    return;
                }
                permitHeld = true;
            }
            if (budget != null) {
                budget.onCall();
            }
            callStart = clock.nanoTime();
            nextAttempt();
        }

        void nextAttempt() {
            if (result.isDone()) {
                return; // cancelled by the caller meanwhile
            }
            n++;
            attemptStart = clock.nanoTime();
            if (ctx != null) {
                ctx.attempt(n);
            }
            Deadline d = deadlineInForce;
            long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
            if (left == 0) {
                onAttemptFailed(new DeadlineExceededException(name, "no time left for attempt " + n,
                        "deadline passed before attempt " + n, null));
                return;
            }
            CompletableFuture<T> stage = hedge != null && (ctx == null || ctx.isSafeToRepeat())
                    ? new AsyncHedge<>(ctx, this::launchOne).start()
                    : launchOne();
            inFlightAttempt = stage;
            stage.whenComplete((value, failure) -> {
                if (failure == null) {
                    onAttemptSucceeded(value);
                } else {
                    onAttemptFailed(unwrap(failure));
                }
            });
        }

        /** Creates one attempt's stage with the deadline current, bounded by the timeout and the deadline. */
        CompletableFuture<T> launchOne() {
            Deadline d = deadlineInForce;
            long left = d == null ? Long.MAX_VALUE : d.remainingNanos();
            if (left == 0) {
                return CompletableFuture.failedFuture(new DeadlineExceededException(name, "no time left for an attempt",
                        "deadline passed before an attempt could start", null));
            }
            Supplier<? extends CompletionStage<T>> create = interceptors.length == 0 ? supplier : this::intercepted;
            Deadline.Scope deadlineScope = d == null ? null : d.enter();
            // While the stage is created, the breaker is held as on the sync path, so an async call
            // started inside it with the same breaker is refused instead of counting attempts.
            CircuitBreaker outerBreaker = breaker == null ? null : HELD_BREAKER.get();
            if (breaker != null) {
                HELD_BREAKER.set(breaker);
            }
            try {
                if (timeout == null && d == null) {
                    return create.get().toCompletableFuture();
                }
                boolean byDeadline = timeout == null || left < timeout.nanos();
                return Timeout.boundedAsync(name, create, byDeadline ? left : timeout.nanos(), byDeadline, n, timeoutReporter);
            } catch (RuntimeException | Error e) {
                return CompletableFuture.failedFuture(e);
            } finally {
                if (breaker != null) {
                    holdBreaker(outerBreaker);
                }
                if (deadlineScope != null) {
                    deadlineScope.close();
                }
            }
        }

        private CompletionStage<T> intercepted() {
            try {
                return new InterceptorChain<>(interceptors, 0, ctx, () -> supplier.get()).call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }

        void onAttemptSucceeded(T value) {
            long now = clock.nanoTime();
            if (retry != null && retry.isRetryableResult(value) && n < max && (ctx == null || ctx.isSafeToRepeat())) {
                long delay = nextDelay(retry, n, previousDelay, null);
                if (whyNotBackOff(retry, deadlineInForce, callStart, now, delay, permit) == null) {
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
                retrySucceeded(n, max);
            }
            finish(value, null);
        }

        void onAttemptFailed(Throwable failure) {
            long now = clock.nanoTime();
            Fault fault = classifier.classify(failure);
            if (ctx != null) {
                ctx.trace().record(Layer.RESILIENCE, "attempt", now - attemptStart, fault.toString());
            }
            OutcomeListener listener = outcomes.current();
            if (listener != null) {
                listener.attemptFailed(name, n, now - attemptStart, fault);
            }
            if (result.isCancelled()) {
                finish(null, failure);
                return;
            }
            String because = failure instanceof Error ? "error" : whyNotRetried(retry, ctx, fault, failure, n, max);
            if (because != null) {
                RuntimeException escaping = failure instanceof Error ? null
                        : giveUp(because, retry != null && n >= max && retry.isRetryable(fault, failure), fault, failure, n, max,
                                now - attemptStart, deadlineInForce);
                finish(null, escaping != null ? escaping : failure);
                return;
            }
            long delay = nextDelay(retry, n, previousDelay, fault);
            String stop = whyNotBackOff(retry, deadlineInForce, callStart, now, delay, permit);
            if (stop != null) {
                finish(null, stopped(stop, fault, failure, n, max, now - attemptStart, deadlineInForce));
                return;
            }
            if (events.isActive(Level.WARNING)) {
                publish(Level.WARNING, "retry.attempt-failed", fault, "attempt " + n + "/" + max + " failed: " + fault
                        + after(now - attemptStart) + "; retrying in " + Durations.format(delay)
                        + deadlineLeft(deadlineInForce));
            }
            scheduleBackoff(delay, fault, failure);
        }

        /** Backs off on the shared timer, in slices when a breaker may open meanwhile. */
        void scheduleBackoff(long delay, Fault fault, Throwable failure) {
            long end = System.nanoTime() + delay;
            long backoffStart = clock.nanoTime();
            Runnable[] step = new Runnable[1];
            step[0] = () -> {
                if (result.isDone()) {
                    return;
                }
                if (breaker != null && !permitsRetry(breaker, permit)) {
                    if (ctx != null) {
                        ctx.trace().record(Layer.RESILIENCE, "backoff", clock.nanoTime() - backoffStart, "breaker-opened");
                    }
                    finish(null, failure == null ? new CallNotPermittedException(breaker.name(), breaker.state(),
                            breaker.remainingOpenNanos())
                            : stopped(STOP_BREAKER, fault, failure, n, max, 0L, deadlineInForce));
                    return;
                }
                long left = end - System.nanoTime();
                if (left > 0) {
                    timer = Scheduler.schedule(step[0], breaker == null ? left : Math.min(left, BREAKER_POLL_NANOS));
                    return;
                }
                if (ctx != null) {
                    ctx.trace().record(Layer.RESILIENCE, "backoff", clock.nanoTime() - backoffStart, "ok");
                }
                previousDelay = delay;
                nextAttempt();
            };
            timer = Scheduler.schedule(step[0], breaker == null ? delay : Math.min(delay, BREAKER_POLL_NANOS));
        }

        void finish(T value, Throwable failure) {
            if (!finished.compareAndSet(false, true)) {
                return; // already finished, e.g. cancelled by the caller while the attempt still ran
            }
            long took = clock.nanoTime() - callStart;
            OutcomeListener listener = outcomes.current();
            if (listener != null && n > 0 && !result.isCancelled()) {
                if (failure == null) {
                    listener.callSucceeded(name, n, took);
                } else {
                    listener.callFailed(name, n, took, classifier.classify(failure));
                }
            }
            if (permitHeld) {
                permitHeld = false;
                if (failure == null) {
                    breaker.onSuccess(permit, took);
                } else if (result.isCancelled()) {
                    breaker.releasePermission(permit);
                } else {
                    breaker.onFailure(permit, took, outcomeFault(failure));
                }
            }
            if (slotHeld) {
                slotHeld = false;
                bulkhead.release();
            }
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
        }
    }

    /**
     * Asynchronous hedging: launches an attempt, then another each time the hedge delay passes
     * without a success (or at once when all running ones failed), while hedges and budget last.
     * The first success completes it and cancels the rest.
     */
    private final class AsyncHedge<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final CallContext ctx;
        final Supplier<CompletableFuture<T>> launcher;
        final List<CompletableFuture<T>> attempts = new ArrayList<>();
        final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        int launched;
        int running;
        boolean mayHedge = true;
        Throwable lastFailure;
        ScheduledFuture<?> nextHedge;

        AsyncHedge(CallContext ctx, Supplier<CompletableFuture<T>> launcher) {
            this.ctx = ctx;
            this.launcher = launcher;
        }

        CompletableFuture<T> start() {
            result.whenComplete((v, f) -> {
                lock.lock();
                try {
                    if (nextHedge != null) {
                        nextHedge.cancel(false);
                    }
                    for (CompletableFuture<T> attempt : attempts) {
                        attempt.cancel(true); // no-op for the finished ones
                    }
                } finally {
                    lock.unlock();
                }
            });
            launch();
            return result;
        }

        /**
         * Launches one attempt if allowed; every launch after the first is a hedge and withdraws a
         * token. The attempt's stage is created outside the lock: the supplier is user code.
         */
        private void launch() {
            boolean announce = false;
            int hedgeNumber;
            Throwable settleWith = null;
            lock.lock();
            try {
                if (result.isDone()) {
                    return;
                }
                if (launched > 0) {
                    if (launched > hedge.maxHedges() || (budget != null && !budget.tryWithdraw())) {
                        mayHedge = false;
                        if (running == 0) {
                            settleWith = lastFailure;
                        }
                        return;
                    }
                    announce = events.isActive(Level.DEBUG);
                }
                hedgeNumber = launched;
                launched++;
                running++;
                if (launched <= hedge.maxHedges()) {
                    if (nextHedge != null) {
                        nextHedge.cancel(false);
                    }
                    nextHedge = Scheduler.schedule(this::launch, hedge.delayNanos());
                }
            } finally {
                lock.unlock();
                if (settleWith != null) {
                    result.completeExceptionally(settleWith); // outside the lock: completion runs callbacks
                }
            }
            if (announce) {
                publish(Level.DEBUG, "hedge.started", null, "hedge " + hedgeNumber + "/" + hedge.maxHedges()
                        + " started: no answer after " + Durations.format(hedge.delayNanos()));
            }
            CompletableFuture<T> attempt = launcher.get();
            boolean lost;
            lock.lock();
            try {
                attempts.add(attempt);
                lost = result.isDone(); // another attempt won while this one was being created
            } finally {
                lock.unlock();
            }
            if (lost) {
                attempt.cancel(true);
            }
            attempt.whenComplete((value, failure) -> {
                if (failure == null) {
                    result.complete(value);
                    return;
                }
                Throwable cause = unwrap(failure);
                boolean repeatable = mayRepeat(ctx, classifier.classify(cause), cause);
                boolean launchNow;
                boolean settle;
                lock.lock();
                try {
                    running--;
                    lastFailure = cause;
                    if (!repeatable) {
                        mayHedge = false; // e.g. a 404: the answer, not a reason to ask again
                    }
                    launchNow = running == 0 && mayHedge && launched <= hedge.maxHedges();
                    settle = !repeatable || (running == 0 && !launchNow);
                } finally {
                    lock.unlock();
                }
                if (settle) {
                    result.completeExceptionally(cause); // outside the lock: completion runs callbacks
                    return;
                }
                if (launchNow) {
                    launch();
                }
            });
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Pipeline[").append(name);
        if (fallback != null) {
            s.append(", ").append(fallback);
        }
        if (bulkhead != null) {
            s.append(", bulkhead ").append(bulkhead.name());
        }
        if (deadline != null) {
            s.append(", deadline ").append(Durations.format(deadline));
        }
        if (breaker != null) {
            s.append(", breaker ").append(breaker.name());
        }
        if (retry != null) {
            s.append(", ").append(retry);
        }
        if (hedge != null) {
            s.append(", ").append(hedge);
        }
        if (timeout != null) {
            s.append(", ").append(timeout);
        }
        return s.append(']').toString();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects the policies of one dependency. Each may be set once; the call order does not
     * matter, the nesting is always the canonical one. {@link #build()} validates the whole.
     */
    public static final class Builder {
        private final String name;
        private Fallback<?> fallback;
        private Bulkhead bulkhead;
        private Duration deadline;
        private CircuitBreaker breaker;
        private Retry retry;
        private RetryBudget budget;
        private Hedge hedge;
        private Timeout timeout;
        private final List<Interceptor> interceptors = new ArrayList<>();
        private FaultClassifier classifier;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** Total budget of each logical call, 1ms..1 day: every attempt, backoff and nested wait spends from it. */
        public Builder deadline(Duration deadline) {
            this.deadline = Require.between("deadline", deadline, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        /** Per-attempt timeout, 1ms..1 day. */
        public Builder timeout(Duration timeout) {
            this.timeout = Timeout.of(timeout);
            return this;
        }

        /** Per-attempt timeout. */
        public Builder timeout(Timeout timeout) {
            this.timeout = Require.nonNull("timeout", timeout);
            return this;
        }

        public Builder retry(Retry retry) {
            this.retry = Require.nonNull("retry", retry);
            return this;
        }

        /** The retry budget shared by every call to this dependency; retries and hedges withdraw from it. */
        public Builder retryBudget(RetryBudget budget) {
            this.budget = Require.nonNull("retryBudget", budget);
            return this;
        }

        /** The breaker, asked once per logical call and told one outcome per logical call. */
        public Builder circuitBreaker(CircuitBreaker breaker) {
            this.breaker = Require.nonNull("circuitBreaker", breaker);
            return this;
        }

        public Builder bulkhead(Bulkhead bulkhead) {
            this.bulkhead = Require.nonNull("bulkhead", bulkhead);
            return this;
        }

        public Builder hedge(Hedge hedge) {
            this.hedge = Require.nonNull("hedge", hedge);
            return this;
        }

        /** The fallback used when the call fails; its values must fit every caller's expected type. */
        public Builder fallback(Fallback<?> fallback) {
            this.fallback = Require.nonNull("fallback", fallback);
            return this;
        }

        /** Adds an interceptor around every attempt; the first added is the outermost. */
        public Builder interceptor(Interceptor interceptor) {
            interceptors.add(Require.nonNull("interceptor", interceptor));
            return this;
        }

        /** Classifies failures this pipeline sees; what it does not recognise falls to {@link FaultClassifier#DEFAULT}. */
        public Builder classifier(FaultClassifier classifier) {
            this.classifier = Require.nonNull("classifier", classifier);
            return this;
        }

        /** The clock for deadlines and backoffs; attempt timeouts always use real time. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Where events go; default the root bus, which logs. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when the deadline cannot reach the last configured
         *     attempt (see the class documentation), naming the numbers
         */
        public Pipeline build() {
            if (deadline != null && retry != null && retry.maxAttempts() > 1) {
                int attempts = retry.maxAttempts();
                long perAttempt = timeout == null ? 0L : timeout.nanos();
                long attemptsBefore = (attempts - 1) * perAttempt;
                long backoff = retry.minimumBackoffBeforeAttempt(attempts);
                long needed = attemptsBefore + backoff;
                if (needed >= deadline.toNanos()) {
                    throw new IllegalArgumentException("deadline: " + Durations.format(deadline) + " cannot fit " + attempts
                            + " attempts x " + (timeout == null ? "0s" : Durations.format(perAttempt)) + " timeout + "
                            + Durations.format(backoff) + " minimum backoff: attempt " + attempts + " could start only after "
                            + Durations.format(needed) + " (" + (attempts - 1) + " x " + Durations.format(perAttempt) + " + "
                            + Durations.format(backoff) + "); allowed: (maxAttempts - 1) x timeout + minimum backoff < deadline");
                }
            }
            return new Pipeline(this);
        }
    }
}
