package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Interceptor;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.observe.EventBus;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.OutcomeListeners;
import dev.strata.ratelimit.RateLimitedException;
import dev.strata.ratelimit.RateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The resilience policies of one dependency, nested in the one order that keeps them honest,
 * whatever order the builder was called in:
 *
 * <pre>
 * Fallback                  last resort; knows why it was invoked
 *   Bulkhead                reject when full (bounded wait at most), or an AdaptiveLimit
 *                           (sizes itself, sheds by criticality, never waits)
 *    AdaptiveThrottle       refuse locally while the dependency accepts too few calls
 *                           (stands aside while the breaker is open: its refusal is the precise one)
 *     Deadline (total)      every wait below spends from it
 *       RateLimiter         one permit per logical call (bounded wait at most)
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
 *   <li>{@link AdaptiveLimitExceededException} (kind {@link FaultKind#BULKHEAD_FULL}) when the
 *       adaptive limit did not admit the call, given its {@link dev.strata.call.Criticality};</li>
 *   <li>{@link ThrottledException} (kind {@link FaultKind#THROTTLED}) when client-side throttling
 *       refused the call locally;</li>
 *   <li>{@link dev.strata.ratelimit.RateLimitedException} ({@code RESOURCE/rate-limited}, with the
 *       time until a permit as its retry-after) when the rate limiter gave no permit in time;</li>
 *   <li>{@link RetryBudgetExhaustedException} (kind {@link FaultKind#RETRY_BUDGET_EXHAUSTED}) when
 *       the retry budget refused a retry (cause: the last failure).</li>
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
 * <h2>Where the code lives</h2>
 * This class is the facade and the configuration; each part of the work is a package-private
 * class of its own, so each can be read and tested alone: {@code SyncExecutor} (the synchronous
 * nesting and retry loop), {@code AsyncCall} (the asynchronous state machine), {@code SyncHedging}
 * and {@code AsyncHedge}, {@code FallbackHandler}, {@code RetryDecisions} (what happens after a
 * failure, shared by all paths) and {@code PipelineEvents} (the text of every event).
 *
 * <p>Instances are immutable, thread-safe and meant to be shared: build one per dependency.
 */
public final class Pipeline {

    /** How often a backoff checks whether the breaker has opened meanwhile. */
    static final long BREAKER_POLL_NANOS = SyncExecutor.BREAKER_POLL_NANOS;

    private static final Interceptor[] NO_INTERCEPTORS = new Interceptor[0];

    // The configuration, read by the package-private parts that do the work.
    final String name;
    final Bulkhead bulkhead;
    final AdaptiveLimit adaptiveLimit;
    final AdaptiveThrottle throttle;
    final RateLimiter rateLimiter;
    final Duration rateLimitWait;
    final Duration deadline;
    final CircuitBreaker breaker;
    final Retry retry;
    final RetryBudget budget;
    final Hedge hedge;
    final Timeout timeout;
    final Interceptor[] interceptors;
    final FaultClassifier classifier;
    final Clock clock;
    final EventBus events;
    /** Shared by every generation of this pipeline. */
    final AtomicInteger inFlight;
    /** Meters and traces: read once per call, null while nothing is bound; shared by every generation. */
    final OutcomeListeners outcomes;
    /**
     * The generation calls start on: this pipeline until {@link #retune} swaps in a copy with new
     * settings. One volatile read per call; the call then runs on that generation's immutable
     * fields to its end, so a call in flight keeps the settings it started with.
     */
    private volatile Pipeline current;

    // The parts, built once here in dependency order (each reads the fields above and the parts before it).
    final PipelineEvents report;
    final RetryDecisions decisions;
    final FallbackHandler fallbacks;
    final SyncHedging hedging;
    private final SyncExecutor sync;

    private Pipeline(Builder b) {
        this.name = b.name;
        this.bulkhead = b.bulkhead;
        this.adaptiveLimit = b.adaptiveLimit;
        this.throttle = b.throttle;
        this.rateLimiter = b.rateLimiter;
        this.rateLimitWait = b.rateLimitWait;
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
        this.inFlight = new AtomicInteger();
        this.outcomes = new OutcomeListeners();
        this.report = new PipelineEvents(name, events, clock, retry);
        this.decisions = new RetryDecisions(name, retry, budget, breaker, classifier, report);
        this.fallbacks = new FallbackHandler(this);
        this.hedging = hedge == null ? null : new SyncHedging(this);
        this.sync = new SyncExecutor(this);
        this.current = this;
    }

    /** A generation of {@code base} with new settings; shares its policies, counters and listeners. */
    private Pipeline(Pipeline base, Tuning t) {
        this.name = base.name;
        this.bulkhead = base.bulkhead;
        this.adaptiveLimit = base.adaptiveLimit;
        this.throttle = base.throttle;
        this.rateLimiter = base.rateLimiter;
        this.rateLimitWait = base.rateLimitWait;
        this.deadline = t.deadline();
        this.breaker = base.breaker;
        this.retry = t.retry();
        this.budget = base.budget;
        this.hedge = base.hedge;
        this.timeout = t.timeout();
        this.interceptors = base.interceptors;
        this.classifier = base.classifier;
        this.clock = base.clock;
        this.events = base.events;
        this.inFlight = base.inFlight;
        this.outcomes = base.outcomes;
        this.report = new PipelineEvents(name, events, clock, retry);
        this.decisions = new RetryDecisions(name, retry, budget, breaker, classifier, report);
        this.fallbacks = new FallbackHandler(this);
        this.hedging = hedge == null ? null : new SyncHedging(this);
        this.sync = new SyncExecutor(this);
        this.current = this;
    }

    /**
     * The settings of a pipeline that may change while it runs ({@link #retune}).
     *
     * @param deadline total budget of each logical call, or null for none
     * @param timeout per-attempt timeout, or null for none
     * @param retry the retry policy, or null for none
     */
    public record Tuning(Duration deadline, Timeout timeout, Retry retry) {
    }

    /** The deadline, timeout and retry new calls start with now. */
    public Tuning tuning() {
        Pipeline g = current;
        return new Tuning(g.deadline, g.timeout, g.retry);
    }

    /**
     * Puts a new deadline, per-attempt timeout and retry policy in force for calls that start
     * from now on. A call already in flight finishes with the settings it started with (its
     * deadline, its attempts' timeouts, its retry's attempts and backoff). The other policies
     * (breaker, bulkhead, budget, limits) are shared and keep their state; change them on
     * themselves ({@link CircuitBreaker#reconfigure}, {@link Bulkhead#reconfigure},
     * {@link RetryBudget#reconfigure}). The success path costs what it cost before plus one
     * volatile read per call; nothing is allocated.
     *
     * @throws IllegalArgumentException when the deadline is not 1ms..1 day, or cannot reach the
     *     last configured attempt (the build-time budget check); nothing changes then
     */
    public void retune(Tuning next) {
        Require.nonNull("tuning", next);
        Duration d = next.deadline() == null ? null
                : Require.between("deadline", next.deadline(), Duration.ofMillis(1), Duration.ofDays(1));
        if (d != null && next.retry() != null && next.retry().maxAttempts() > 1) {
            AttemptBudget.of(next.retry(), next.timeout() == null ? null : Duration.ofNanos(next.timeout().nanos()), d)
                    .requireEveryAttemptCanStart();
        }
        current = new Pipeline(this, next);
    }

    /** The generation a call starting now runs on. */
    Pipeline generation() {
        return current;
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

    /** The adaptive concurrency limit calls are admitted by, if any. */
    public java.util.Optional<AdaptiveLimit> adaptiveLimit() {
        return java.util.Optional.ofNullable(adaptiveLimit);
    }

    /**
     * Whether a call starting now asks the throttle: not while the breaker refuses anyway, since
     * its refusal names the precise reason (circuit-open) where the throttle would name a dice roll.
     */
    static boolean throttleApplies(AdaptiveThrottle throttle, CircuitBreaker breaker) {
        return throttle != null && (breaker == null || breaker.remainingOpenNanos() == 0);
    }

    /** The client-side adaptive throttle, if any. */
    public java.util.Optional<AdaptiveThrottle> throttle() {
        return java.util.Optional.ofNullable(throttle);
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
     * @return the first successful result
     * @throws RuntimeException as described in the class documentation
     */
    public <T> T execute(Callable<T> attempt) {
        return current.sync.run(null, attempt, null);
    }

    /**
     * Like {@link #execute(Callable)} for the given context: a non-idempotent context without an
     * idempotency key is attempted exactly once, and attempts and backoffs are recorded in its trace.
     */
    public <T> T execute(CallContext context, Callable<T> attempt) {
        return current.sync.run(context, attempt, null);
    }

    /**
     * Like {@link #execute(CallContext, Callable)} with a fallback for this call: its values must
     * be of the call's type, checked by the compiler. For one fallback on every call, see
     * {@link Builder#fallback(Fallback)}.
     */
    public <T> T execute(CallContext context, Callable<T> attempt, Fallback<? extends T> callFallback) {
        return current.sync.run(context, attempt, Require.nonNull("callFallback", callFallback));
    }

    /** Runs a call with {@code fallbackToUse} (may be null); for {@link TypedPipeline}. */
    <T> T run(CallContext context, Callable<T> attempt, Fallback<?> fallbackToUse) {
        return current.sync.run(context, attempt, fallbackToUse);
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
     * @return a future completing with the result, or the failure described in the class documentation
     */
    public <T> CompletableFuture<T> executeAsync(CallContext context, Supplier<? extends CompletionStage<T>> attempt) {
        Objects.requireNonNull(attempt, "attempt");
        CallContext ctx = context != null ? context : CallContext.current();
        if (ctx == null && interceptors.length > 0) {
            ctx = CallContext.idempotent(name);
        }
        Pipeline g = current;
        if (outcomes.current() != null && outcomes.sampleTrace()) {
            return g.tracedAsync(ctx, attempt);
        }
        AsyncCall<T> call = new AsyncCall<>(g, ctx, attempt);
        call.start();
        return call.result;
    }

    /**
     * A sampled asynchronous call: the listeners hear its start on the caller's thread, are told
     * when the caller's thread leaves it, and hear its trace exactly once when its future
     * completes, however it completes (a value, a failure, a refusal, a cancellation).
     */
    private <T> CompletableFuture<T> tracedAsync(CallContext context, Supplier<? extends CompletionStage<T>> attempt) {
        CallContext ctx = context != null ? context : CallContext.idempotent(name);
        OutcomeListener listener = outcomes.current(); // the same listeners hear the start and the end
        if (listener == null) {
            AsyncCall<T> call = new AsyncCall<>(this, ctx, attempt);
            call.start();
            return call.result;
        }
        Object token = listener.callStarting(name, true);
        AsyncCall<T> call = new AsyncCall<>(this, ctx, attempt);
        call.result.whenComplete((value, failure) -> listener.callTraced(name, token, ctx.trace()));
        try {
            call.start();
        } finally {
            listener.callDetached(token);
        }
        return call.result;
    }

    @Override
    public String toString() {
        Pipeline g = current;
        Duration deadline = g.deadline;
        Retry retry = g.retry;
        Timeout timeout = g.timeout;
        StringBuilder s = new StringBuilder("Pipeline[").append(name);
        if (bulkhead != null) {
            s.append(", bulkhead ").append(bulkhead.name());
        }
        if (adaptiveLimit != null) {
            s.append(", adaptive limit ").append(adaptiveLimit.limit());
        }
        if (throttle != null) {
            s.append(", throttle");
        }
        if (rateLimiter != null) {
            s.append(", rate limiter ").append(rateLimiter.name());
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
        private Bulkhead bulkhead;
        private AdaptiveLimit adaptiveLimit;
        private AdaptiveThrottle throttle;
        private RateLimiter rateLimiter;
        private Duration rateLimitWait = Duration.ZERO;
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

        /**
         * A bulkhead that sizes itself (instead of a {@link #bulkhead(Bulkhead)}): each logical call
         * is admitted by {@code limit} under its {@linkplain dev.strata.call.Criticality#current()
         * criticality}, and its outcome (latency, or a drop: timeout, refusal, overload answer)
         * moves the limit. The latency sampled is the logical call's, retries included.
         */
        public Builder adaptiveLimit(AdaptiveLimit limit) {
            this.adaptiveLimit = Require.nonNull("adaptiveLimit", limit);
            return this;
        }

        /**
         * Client-side adaptive throttling, beside the retry budget: each logical call asks
         * {@code throttle} first and is refused locally with {@link ThrottledException} while the
         * dependency accepts too few calls; every call sent reports whether it was accepted.
         */
        public Builder throttle(AdaptiveThrottle throttle) {
            this.throttle = Require.nonNull("throttle", throttle);
            return this;
        }

        /**
         * Client-side throttling: each logical call takes one permit from {@code limiter} under the
         * key of this pipeline's name, waiting for it for at most {@code maxWait} (0..60 s) and never
         * past the call's deadline; retries take none (the retry budget bounds them). Without a
         * permit the call fails with {@link RateLimitedException} and is not attempted, and the
         * breaker records nothing.
         */
        public Builder rateLimiter(RateLimiter limiter, Duration maxWait) {
            this.rateLimiter = Require.nonNull("rateLimiter", limiter);
            this.rateLimitWait = Require.between("rateLimitWait", maxWait, Duration.ZERO, Duration.ofSeconds(60));
            return this;
        }

        public Builder hedge(Hedge hedge) {
            this.hedge = Require.nonNull("hedge", hedge);
            return this;
        }

        /**
         * Ends the configuration with a fallback for every call, fixing the calls' type: the result
         * is a {@link TypedPipeline.Builder} whose pipeline accepts only attempts returning
         * {@code T}, so a fallback of the wrong type is a compile error, not a
         * {@code ClassCastException} at some caller. Set the other policies before this.
         */
        public <T> TypedPipeline.Builder<T> fallback(Fallback<T> fallback) {
            return new TypedPipeline.Builder<>(this, Require.nonNull("fallback", fallback));
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
            if (bulkhead != null && adaptiveLimit != null) {
                throw new IllegalArgumentException("adaptiveLimit: a pipeline takes a bulkhead or an adaptive limit, "
                        + "not both (bulkhead " + bulkhead.name() + ", adaptive limit " + adaptiveLimit.name() + ")");
            }
            if (deadline != null && retry != null && retry.maxAttempts() > 1) {
                // the one rule, shared with the static audit (strata doctor audit)
                AttemptBudget.of(retry, timeout == null ? null : Duration.ofNanos(timeout.nanos()), deadline)
                        .requireEveryAttemptCanStart();
            }
            return new Pipeline(this);
        }
    }
}
