package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.resilience.internal.BreakerPermits;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.observe.EventBus;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.StrataEvent;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A circuit breaker for one dependency: it watches the outcomes of logical calls and, when too
 * many fail (or are too slow), stops letting calls through for a while so the dependency can
 * recover and callers fail fast instead of piling up.
 *
 * <p>Usage is permission, then exactly one outcome per logical call:
 * <pre>{@code
 * if (!breaker.tryAcquirePermission()) throw new CallNotPermittedException(...);
 * long start = System.nanoTime();
 * try { T result = call(); breaker.onSuccess(System.nanoTime() - start); return result; }
 * catch (Exception e) { breaker.onFailure(System.nanoTime() - start, classify(e)); throw e; }
 * }</pre>
 * or simply {@link #execute(Callable)}. A retry loop must report the outcome of the whole
 * logical call once, never one outcome per attempt; the breaker counts whatever it is given.
 *
 * <p>A {@link Pipeline} (and {@link #execute(Callable)}) use a permit protocol instead, which is
 * not public API: the permit names the period (CLOSED, HALF_OPEN, ...) that admitted the call, so
 * an outcome that arrives after the breaker moved on is attributed to the period it belongs to. A
 * call admitted while CLOSED that finishes during a half-open probe then never decides the probe,
 * and a probe's outcome never lands in a later period. The boolean methods above attribute the
 * outcome to whatever period is current when it arrives. (The permit methods were public; their
 * {@code onSuccess(long permit, long nanos)} beside {@code onSuccess(long nanos)} let
 * {@code onSuccess(permit)} compile and mean a duration.)
 *
 * <p>States: {@code CLOSED} counts outcomes in its window and opens when a threshold is crossed;
 * {@code OPEN} refuses every call until its wait elapses, then the next permission request moves
 * it to {@code HALF_OPEN}; {@code HALF_OPEN} admits exactly {@code halfOpenPermits} concurrent
 * probes: if all succeed it closes, if any fails it opens again with the next (possibly grown)
 * wait (a slow probe, when a slow-call duration is set, counts as a failure). {@code FORCED_OPEN} and {@code DISABLED} are manual overrides left only by
 * {@link #reset()} (or another override).
 *
 * <p>Thread-safe and non-blocking: the state is a single reference changed by compare-and-set,
 * the consecutive-failure counter is atomic, and the count and time windows are guarded by a
 * lock held only for a few array writes (never around the call itself). In {@code CLOSED} state
 * permission requests and success reports, boolean or permit variant, allocate nothing. Exactly one
 * event is published per state change.
 */
public final class CircuitBreaker {

    /** The breaker's state. */
    public enum State {
        /** Calls flow; outcomes are counted. */
        CLOSED,
        /** Calls are refused until the open wait elapses. */
        OPEN,
        /** A limited number of probe calls decide between closing and opening again. */
        HALF_OPEN,
        /** Calls are refused until {@link #reset()}; set by an operator. */
        FORCED_OPEN,
        /** Every call is permitted and nothing is counted; set by an operator. */
        DISABLED
    }

    /** How the breaker decides to open from {@code CLOSED}. */
    public enum Mode {
        /** Opens after {@code failureThreshold} recorded failures in a row. */
        CONSECUTIVE_FAILURES,
        /** Failure and slow-call rates over the last {@code windowSize} calls. */
        COUNT_WINDOW,
        /** Failure and slow-call rates over the calls of the last {@code windowSize} seconds. */
        TIME_WINDOW
    }

    /**
     * A consistent-enough snapshot of the breaker's statistics. Rates are fractions in 0..1 over the
     * buffered calls of the current window (0 when the window is empty); in
     * {@link Mode#CONSECUTIVE_FAILURES} mode there is no window and only
     * {@code consecutiveFailures} and {@code notPermittedCalls} move.
     *
     * @param state the state when the snapshot was taken
     * @param failureRate failed / buffered calls
     * @param slowCallRate slow / buffered calls
     * @param bufferedCalls calls currently in the window
     * @param failedCalls recorded failures currently in the window
     * @param slowCalls slow calls (successful or not) currently in the window
     * @param notPermittedCalls calls refused since the breaker was built
     * @param consecutiveFailures recorded failures since the last success in {@code CLOSED} state
     */
    public record Metrics(State state, double failureRate, double slowCallRate, int bufferedCalls, int failedCalls,
                          int slowCalls, long notPermittedCalls, int consecutiveFailures) {
    }

    /**
     * Published once per state change.
     *
     * @param epochMillis when the change happened
     * @param dependency the breaker name
     * @param from the previous state
     * @param to the new state
     * @param reason why, e.g. {@code failure rate 60% >= 50% over 10 calls}
     * @param openNanos how long the breaker stays open when {@code to} is OPEN, else 0
     */
    public record Transition(long epochMillis, String dependency, State from, State to, String reason, long openNanos)
            implements StrataEvent {

        /** {@code breaker.state-changed}. */
        @Override
        public String type() {
            return "breaker.state-changed";
        }

        @Override
        public Layer layer() {
            return Layer.RESILIENCE;
        }

        /** WARNING when calls start being refused, INFO otherwise. */
        @Override
        public Level level() {
            return BreakerEvents.level(to);
        }

        @Override
        public String message() {
            String line = "circuit " + from + " -> " + to + ": " + reason;
            return to == State.OPEN ? line + "; open for " + Durations.format(openNanos) : line;
        }
    }

    // ---------------------------------------------------------------------------------------
    // configuration (immutable, nanos precomputed so the hot path touches no Duration). The
    // window's rate thresholds live in WindowThresholds, the open wait's growth and jitter in
    // OpenWait, and what the breaker publishes in BreakerEvents.

    private final String name;
    private final Mode mode;
    private final int failureThreshold;
    private final long slowCallNanos;
    private final int halfOpenPermits;
    private final long maxHalfOpenNanos;
    private final Predicate<Fault> recordFault;
    private final Clock clock;
    private final WindowThresholds thresholds;
    private final OpenWait openWait;
    private final BreakerEvents events;

    // ---------------------------------------------------------------------------------------
    // state

    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(CircuitBreaker.class, "phase", Phase.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // Strata's own modules outside this package (a rate limiter's breaker) use the permit
        // protocol through dev.strata.resilience.internal; it is not API.
        BreakerPermits.install(new BreakerPermits.Access() {
            @Override
            public long acquire(CircuitBreaker breaker) {
                return breaker.tryAcquirePermit();
            }

            @Override
            public void succeeded(CircuitBreaker breaker, long permit, long durationNanos) {
                breaker.onSuccess(permit, durationNanos);
            }

            @Override
            public void failed(CircuitBreaker breaker, long permit, long durationNanos, Fault fault) {
                breaker.onFailure(permit, durationNanos, fault);
            }

            @Override
            public void release(CircuitBreaker breaker, long permit) {
                breaker.releasePermission(permit);
            }

            @Override
            public boolean measuresDuration(CircuitBreaker breaker) {
                return breaker.measuresDuration();
            }
        });
    }

    /**
     * Returned by {@link #tryAcquirePermit()} when the call is refused. Real permits are positive,
     * so passing this value to the outcome methods records nothing.
     */
    static final long NOT_PERMITTED = 0L;

    @SuppressWarnings("unused") // accessed through PHASE
    private volatile Phase phase;
    /** Numbers the periods; each phase gets the next one, so a permit names the period that issued it. */
    private final AtomicLong generations = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final LongAdder notPermitted = new LongAdder();
    /** The outcome statistics of the CLOSED state; null in {@link Mode#CONSECUTIVE_FAILURES} mode. */
    private final SlidingWindow window;

    private CircuitBreaker(Builder b) {
        this.name = b.name;
        this.mode = b.mode;
        this.failureThreshold = b.failureThreshold;
        this.slowCallNanos = b.slowCallDuration == null ? Long.MAX_VALUE : b.slowCallDuration.toNanos();
        this.halfOpenPermits = b.halfOpenPermits;
        this.maxHalfOpenNanos = b.maxHalfOpenDuration.toNanos();
        this.recordFault = b.recordFault;
        this.clock = b.clock;
        long openWaitNanos = b.openWait.toNanos();
        long maxOpenWaitNanos = b.maxOpenWait == null ? Math.max(openWaitNanos, Duration.ofMinutes(5).toNanos())
                : b.maxOpenWait.toNanos();
        this.openWait = new OpenWait(openWaitNanos, b.openWaitMultiplier, maxOpenWaitNanos, b.openWaitJitter,
                b.random != null ? b.random : new SplittableRandom());
        this.thresholds = new WindowThresholds(b.minimumCalls, b.failureRateThreshold, b.slowCallRateThreshold, slowCallNanos);
        this.events = new BreakerEvents(name, clock, b.events);
        this.window = switch (mode) {
            case CONSECUTIVE_FAILURES -> null;
            case COUNT_WINDOW -> new CountWindow(b.windowSize, thresholds);
            case TIME_WINDOW -> new TimeWindow(b.windowSize, clock, thresholds);
        };
        this.phase = newPhase(State.CLOSED, 0L, 0, 0);
    }

    /**
     * Reports every state change to {@code listener} (its {@link OutcomeListener#stateChanged}
     * method) until the returned handle is closed. Calls are reported by the {@link Pipeline}
     * that uses the breaker, not by the breaker.
     */
    public AutoCloseable listen(OutcomeListener listener) {
        return events.listen(listener);
    }

    /** A builder for a breaker named after the dependency it protects. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The name given at build time, used in events and exceptions. */
    public String name() {
        return name;
    }

    /**
     * Asks to run one logical call. Returns true when the call may go ahead; the caller must then
     * report exactly one of {@link #onSuccess(long)}, {@link #onFailure(long, Fault)} or
     * {@link #releasePermission()}, which attribute the outcome to the period current when it
     * arrives. Returns false (and counts a refused call) when the breaker is open, forced open, or
     * half-open with every probe permit taken. An open breaker whose wait has elapsed moves to
     * half-open here. Never blocks.
     *
     * @see #tryAcquirePermit()
     */
    public boolean tryAcquirePermission() {
        return tryAcquirePermit() != NOT_PERMITTED;
    }

    /**
     * Asks to run one logical call and returns a permit naming the period that admitted it, or
     * {@link #NOT_PERMITTED} (counting a refused call) when the breaker is open, forced open, or
     * half-open with every probe permit taken. The caller must then report exactly one of
     * {@link #onSuccess(long, long)}, {@link #onFailure(long, long, Fault)} or
     * {@link #releasePermission(long)} with that permit. An open breaker whose wait has elapsed
     * moves to half-open here. Never blocks; allocation-free in {@code CLOSED} state.
     */
    long tryAcquirePermit() {
        Phase p = phase;
        switch (p.state) {
            case CLOSED, DISABLED:
                return p.generation;
            case OPEN:
                if (clock.nanoTime() - p.openUntilNanos < 0) {
                    return refuse(p);
                }
                // In HALF_OPEN, openUntilNanos is when the period ends if its probes never answer.
                Phase halfOpen = newPhase(State.HALF_OPEN, clock.nanoTime() + maxHalfOpenNanos, p.openings, halfOpenPermits);
                if (transition(p, halfOpen, "open wait of " + Durations.format(p.openNanos) + " elapsed")) {
                    return tryAcquireProbe(halfOpen);
                }
                return tryAcquirePermit(); // someone else moved it; decide on the new state
            case HALF_OPEN:
                return tryAcquireProbe(p);
            default: // FORCED_OPEN
                return refuse(p);
        }
    }

    private long tryAcquireProbe(Phase p) {
        AtomicInteger permits = p.permitsLeft;
        for (int left = permits.get(); left > 0; left = permits.get()) {
            if (permits.compareAndSet(left, left - 1)) {
                p.probesInFlight.incrementAndGet();
                return p.generation;
            }
        }
        if (clock.nanoTime() - p.openUntilNanos >= 0) {
            // Every probe permit is taken and none answered in time (a hung probe without a
            // timeout, or one whose outcome was never reported): open again rather than refuse
            // every caller for as long as the probe hangs. Its late outcome no longer counts.
            open(p, p.openings + 1, "half-open for longer than maxHalfOpenDuration " + Durations.format(maxHalfOpenNanos)
                    + " without every probe answering");
        }
        return refuse(p);
    }

    private long refuse(Phase p) {
        notPermitted.increment();
        if (events.publishesRefusals()) {
            events.refused(p.state, remaining(p));
        }
        return NOT_PERMITTED;
    }

    /**
     * Whether the logical call holding {@code permit} may start another attempt (a retry): only
     * while the breaker is still in the CLOSED or DISABLED period that admitted it. Once the
     * breaker has left that period (opened, even if its wait has already elapsed), the call is not
     * an unofficial probe and must stop. A half-open probe gets exactly one attempt, whose outcome
     * decides the probe, so this is false for a probe permit. Changes nothing, never blocks.
     */
    boolean permitsAnotherAttempt(long permit) {
        Phase p = phase;
        return p.generation == permit && (p.state == State.CLOSED || p.state == State.DISABLED);
    }

    /**
     * A read-only peek: whether a permission request made now could succeed. Changes nothing and
     * counts nothing. An open breaker whose wait has elapsed answers true (a probe is due), so a
     * retry loop deciding whether an admitted call may go on must ask
     * {@link #permitsAnotherAttempt(long)} instead.
     */
    public boolean isCallPermittedNow() {
        Phase p = phase;
        return switch (p.state) {
            case CLOSED, DISABLED -> true;
            case OPEN -> clock.nanoTime() - p.openUntilNanos >= 0;
            case HALF_OPEN -> p.permitsLeft.get() > 0;
            case FORCED_OPEN -> false;
        };
    }

    /**
     * Whether {@code permit} is a probe permit of the current half-open period, i.e. its call's
     * outcome will decide between closing and opening again. Changes nothing, never blocks.
     */
    boolean isProbe(long permit) {
        Phase p = phase;
        return p.generation == permit && p.state == State.HALF_OPEN;
    }

    /**
     * Records the success of one logical call that held a permission, attributed to the period
     * current now (see {@link #onSuccess(long, long)} to attribute it to the admitting period). A
     * success that took at least {@code slowCallDuration} counts as a slow call. Allocation-free in
     * {@code CLOSED} state.
     *
     * @param durationNanos how long the logical call took
     */
    public void onSuccess(long durationNanos) {
        onSuccess(phase.generation, durationNanos);
    }

    /**
     * Records the success of the logical call that {@link #tryAcquirePermit()} admitted with
     * {@code permit}. It counts only in the period that issued the permit: in that CLOSED period it
     * enters the window, in that HALF_OPEN period it decides its probe; once the breaker has moved
     * on it is ignored. A success that took at least {@code slowCallDuration} counts as a slow
     * call. Allocation-free in {@code CLOSED} state.
     *
     * @param permit what {@link #tryAcquirePermit()} returned for this call
     * @param durationNanos how long the logical call took
     */
    void onSuccess(long permit, long durationNanos) {
        Phase p = phase;
        if (p.generation != permit) {
            return; // a late outcome from an earlier period says nothing about the current one
        }
        switch (p.state) {
            case CLOSED -> {
                if (consecutiveFailures.get() != 0) {
                    consecutiveFailures.set(0);
                }
                if (window != null && window.record(false, durationNanos >= slowCallNanos) && p == phase) {
                    openFromClosed(p);
                }
            }
            case HALF_OPEN -> {
                if (!claimProbeOutcome(p)) {
                    return;
                }
                if (durationNanos >= slowCallNanos) {
                    // A probe that answers but too slowly says the dependency has not recovered.
                    open(p, p.openings + 1, "probe was slow: " + Durations.format(durationNanos) + " >= "
                            + Durations.format(slowCallNanos));
                } else if (p.probeSuccesses.incrementAndGet() >= halfOpenPermits) {
                    closeFromHalfOpen(p);
                }
            }
            default -> {
                // DISABLED counts nothing; OPEN and FORCED_OPEN issue no permits.
            }
        }
    }

    /**
     * Records the failure of one logical call that held a permission, attributed to the period
     * current now (see {@link #onFailure(long, long, Fault)} to attribute it to the admitting
     * period). Faults the {@code recordFault} predicate does not accept (by default client errors,
     * validation and other application faults) release the permission without counting, as a
     * cancelled call would.
     *
     * @param durationNanos how long the logical call took
     * @param fault the classified failure
     */
    public void onFailure(long durationNanos, Fault fault) {
        onFailure(phase.generation, durationNanos, fault);
    }

    /**
     * Records the failure of the logical call that {@link #tryAcquirePermit()} admitted with
     * {@code permit}; like {@link #onSuccess(long, long)} it counts only in the period that issued
     * the permit. Faults the {@code recordFault} predicate does not accept (by default client
     * errors, validation and other application faults) release the permission without counting,
     * as a cancelled call would.
     *
     * @param permit what {@link #tryAcquirePermit()} returned for this call
     * @param durationNanos how long the logical call took
     * @param fault the classified failure
     */
    void onFailure(long permit, long durationNanos, Fault fault) {
        Objects.requireNonNull(fault, "fault");
        boolean record;
        try {
            record = recordFault.test(fault);
        } catch (RuntimeException | Error predicateFailed) {
            releasePermission(permit); // a throwing predicate must not keep a half-open probe permit forever
            throw predicateFailed;
        }
        if (!record) {
            releasePermission(permit);
            return;
        }
        Phase p = phase;
        if (p.generation != permit) {
            return; // late outcome from an earlier period (see onSuccess)
        }
        switch (p.state) {
            case CLOSED -> {
                int inARow = consecutiveFailures.incrementAndGet();
                boolean open = window == null
                        ? inARow >= failureThreshold
                        : window.record(true, durationNanos >= slowCallNanos);
                if (open && p == phase) {
                    openFromClosed(p);
                }
            }
            case HALF_OPEN -> {
                if (claimProbeOutcome(p)) {
                    open(p, p.openings + 1, "probe failed: " + fault);
                }
            }
            default -> {
                // DISABLED counts nothing; OPEN and FORCED_OPEN issue no permits.
            }
        }
    }

    /**
     * Gives back a permission without an outcome to count, e.g. when the call was cancelled
     * before it could succeed or fail, attributed to the period current now. In half-open state a
     * probe permit becomes available to another caller.
     */
    public void releasePermission() {
        releasePermission(phase.generation);
    }

    /**
     * Gives back the permission {@code permit} without an outcome to count. When it was a probe
     * permit of the still-current half-open period, the permit becomes available to another
     * caller; otherwise nothing changes.
     *
     * @param permit what {@link #tryAcquirePermit()} returned for this call
     */
    void releasePermission(long permit) {
        Phase p = phase;
        if (p.generation == permit && p.state == State.HALF_OPEN && claimProbeOutcome(p)) {
            p.permitsLeft.incrementAndGet();
        }
    }

    /** Matches an outcome to a probe in flight; false when more outcomes arrive than probes were admitted. */
    private static boolean claimProbeOutcome(Phase p) {
        AtomicInteger inFlight = p.probesInFlight;
        for (int n = inFlight.get(); n > 0; n = inFlight.get()) {
            if (inFlight.compareAndSet(n, n - 1)) {
                return true;
            }
        }
        return false;
    }

    private void openFromClosed(Phase p) {
        String reason = window == null
                ? consecutiveFailures.get() + " consecutive failures >= " + failureThreshold
                : thresholds.reason(window.snapshot(State.CLOSED, 0L, consecutiveFailures.get()));
        open(p, 1, reason);
    }

    private void closeFromHalfOpen(Phase p) {
        // The window is unused while half-open; clear it before publishing CLOSED so the new
        // period starts empty.
        clearCounters();
        transition(p, newPhase(State.CLOSED, 0L, 0, 0), halfOpenPermits == 1 ? "probe succeeded" : "all " + halfOpenPermits + " probes succeeded");
    }

    private void open(Phase from, int openings, String reason) {
        long wait = openWait.forOpening(openings);
        Phase opened = newPhase(State.OPEN, clock.nanoTime() + wait, openings, 0);
        opened.openNanos = wait;
        transition(from, opened, reason);
    }

    private boolean transition(Phase from, Phase to, String reason) {
        if (!PHASE.compareAndSet(this, from, to)) {
            return false;
        }
        if (to.state == State.CLOSED) {
            consecutiveFailures.set(0);
        }
        events.stateChanged(from.state, to.state, reason, to.openNanos);
        return true;
    }

    private void force(Phase to, String reason) {
        for (;;) {
            Phase p = phase;
            if (p.state == to.state) {
                if (to.state == State.CLOSED) {
                    // A reset of a closed breaker clears counters but stays in the same period,
                    // so calls in flight keep their permits valid.
                    clearCounters();
                }
                return; // already there: no event, no change
            }
            if (to.state == State.CLOSED) {
                clearCounters();
            }
            if (transition(p, to, reason)) {
                return;
            }
        }
    }

    private void clearCounters() {
        consecutiveFailures.set(0);
        if (window != null) {
            window.clear();
        }
    }

    /** Refuses every call until {@link #reset()}, whatever the outcomes say. */
    public void forceOpen() {
        force(newPhase(State.FORCED_OPEN, 0L, 0, 0), "forced open");
    }

    /** Permits every call and counts nothing until {@link #reset()}. */
    public void disable() {
        force(newPhase(State.DISABLED, 0L, 0, 0), "disabled");
    }

    /** Back to {@code CLOSED} with an empty window and the open wait back at its base value. */
    public void reset() {
        force(newPhase(State.CLOSED, 0L, 0, 0), "reset");
    }

    /**
     * The current state. An {@code OPEN} breaker whose wait has elapsed still reports OPEN until the
     * next permission request moves it to HALF_OPEN; {@link #remainingOpenNanos()} is then 0.
     */
    public State state() {
        return phase.state;
    }

    /**
     * Nanoseconds until an open breaker lets a probe through: 0 unless OPEN or FORCED_OPEN, 0 when
     * the wait has elapsed, {@link Long#MAX_VALUE} when forced open.
     */
    public long remainingOpenNanos() {
        return remaining(phase);
    }

    private long remaining(Phase p) {
        return switch (p.state) {
            case OPEN -> Math.max(0L, p.openUntilNanos - clock.nanoTime());
            case FORCED_OPEN -> Long.MAX_VALUE;
            default -> 0L;
        };
    }

    /** A snapshot of the statistics; allocates, meant for dashboards and tests, not the hot path. */
    public Metrics metrics() {
        State state = phase.state;
        long refused = notPermitted.sum();
        int inARow = consecutiveFailures.get();
        if (window == null) {
            return new Metrics(state, 0.0, 0.0, 0, 0, 0, refused, inARow);
        }
        return window.snapshot(state, refused, inARow);
    }

    /**
     * Runs one logical call under this breaker: asks permission, runs it, classifies a failure
     * with {@link FaultClassifier#DEFAULT} and records the outcome. An interrupted call releases its
     * permission without counting.
     *
     * @throws CallNotPermittedException when the breaker refuses the call (it is not run)
     * @throws Exception whatever the call throws, unchanged
     */
    public <T> T execute(Callable<T> call) throws Exception {
        long permit = tryAcquirePermit();
        if (permit == NOT_PERMITTED) {
            throw new CallNotPermittedException(name, phase.state, remainingOpenNanos());
        }
        // Durations matter only for slow-call detection; without it the clock is not read at all
        // (a clock read costs more than the whole breaker on some virtual machines).
        boolean timed = measuresDuration();
        long start = timed ? clock.nanoTime() : 0L;
        T result;
        try {
            result = call.call();
        } catch (InterruptedException interrupted) {
            releasePermission(permit);
            throw interrupted;
        } catch (Throwable failure) {
            onFailure(permit, timed ? clock.nanoTime() - start : 0L, FaultClassifier.DEFAULT.classify(failure));
            throw failure;
        }
        onSuccess(permit, timed ? clock.nanoTime() - start : 0L);
        return result;
    }

    /**
     * Whether the durations passed to {@link #onSuccess} and {@link #onFailure} are used, i.e. a
     * slow-call duration is configured. When false, callers may pass 0 and skip reading the clock.
     */
    boolean measuresDuration() {
        return slowCallNanos != Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return "CircuitBreaker[" + name + ", " + phase.state + ", " + mode + "]";
    }

    // ---------------------------------------------------------------------------------------

    private Phase newPhase(State state, long openUntilNanos, int openings, int permits) {
        return new Phase(generations.incrementAndGet(), state, openUntilNanos, openings, permits);
    }

    /** One period of the state machine; replaced (never mutated in its state) on each transition. */
    private static final class Phase {
        /** Unique per breaker and positive; the permit handed to the calls this period admits. */
        final long generation;
        final State state;
        final long openUntilNanos;
        /** Consecutive openings without a close in between; drives the wait growth. */
        final int openings;
        final AtomicInteger permitsLeft;
        final AtomicInteger probesInFlight;
        final AtomicInteger probeSuccesses;
        long openNanos; // set before publication through the CAS

        Phase(long generation, State state, long openUntilNanos, int openings, int permits) {
            this.generation = generation;
            this.state = state;
            this.openUntilNanos = openUntilNanos;
            this.openings = openings;
            boolean halfOpen = state == State.HALF_OPEN;
            this.permitsLeft = halfOpen ? new AtomicInteger(permits) : null;
            this.probesInFlight = halfOpen ? new AtomicInteger() : null;
            this.probeSuccesses = halfOpen ? new AtomicInteger() : null;
        }
    }

    // ---------------------------------------------------------------------------------------

    /**
     * Configuration of a {@link CircuitBreaker}; every value is validated by {@link #build()} with
     * a message naming the field, the value and the allowed range.
     *
     * <p>Defaults: {@link Mode#COUNT_WINDOW} over 100 calls, at least 10 calls, failure rate 50%,
     * no slow-call threshold, 1 half-open permit, 30 s open wait without growth or jitter, faults
     * recorded when retryable or on the REMOTE, NETWORK or RESOURCE layer (never APPLICATION),
     * system clock, root event bus.
     */
    public static final class Builder {
        private final String name;
        private Mode mode = Mode.COUNT_WINDOW;
        private int failureThreshold = 5;
        private int windowSize = 100;
        private Integer minimumCalls;
        private double failureRateThreshold = 0.5;
        private Duration slowCallDuration;
        private double slowCallRateThreshold = 1.0;
        private int halfOpenPermits = 1;
        private Duration openWait = Duration.ofSeconds(30);
        private double openWaitMultiplier = 1.0;
        private Duration maxOpenWait;
        private Duration maxHalfOpenDuration = Duration.ofSeconds(60);
        private double openWaitJitter;
        private Predicate<Fault> recordFault = Builder::recordedByDefault;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();
        private RandomGenerator random;

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** The default {@code recordFault}: retryable faults and any REMOTE, NETWORK or RESOURCE fault, never APPLICATION. */
        public static boolean recordedByDefault(Fault fault) {
            Layer layer = fault.layer();
            if (layer == Layer.APPLICATION) {
                return false;
            }
            return fault.retryable() || layer == Layer.REMOTE || layer == Layer.NETWORK || layer == Layer.RESOURCE;
        }

        /** How the breaker decides to open; default {@link Mode#COUNT_WINDOW}. */
        public Builder mode(Mode mode) {
            this.mode = Require.nonNull("mode", mode);
            return this;
        }

        /** Failures in a row that open the breaker in {@link Mode#CONSECUTIVE_FAILURES} mode, 1..10000; default 5. */
        public Builder failureThreshold(int failureThreshold) {
            this.failureThreshold = failureThreshold;
            return this;
        }

        /** Calls (count window, 1..100000) or seconds (time window, 1..3600) in the window; default 100. */
        public Builder windowSize(int windowSize) {
            this.windowSize = windowSize;
            return this;
        }

        /** Calls needed in the window before rates apply, 1..windowSize for a count window; default min(10, windowSize). */
        public Builder minimumCalls(int minimumCalls) {
            this.minimumCalls = minimumCalls;
            return this;
        }

        /** Failure rate (0.001..1) at or above which the breaker opens; default 0.5. */
        public Builder failureRateThreshold(double failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
            return this;
        }

        /** A call taking at least this long is slow (1 ms..1 h); window modes only; default off. */
        public Builder slowCallDuration(Duration slowCallDuration) {
            this.slowCallDuration = slowCallDuration;
            return this;
        }

        /** Slow-call rate (0.001..1) at or above which the breaker opens; default 1.0. */
        public Builder slowCallRateThreshold(double slowCallRateThreshold) {
            this.slowCallRateThreshold = slowCallRateThreshold;
            return this;
        }

        /** Concurrent probes in half-open state, 1..1000; default 1. */
        public Builder halfOpenPermits(int halfOpenPermits) {
            this.halfOpenPermits = halfOpenPermits;
            return this;
        }

        /** How long the breaker stays open before a probe, 1 ms..1 h; default 30 s. */
        public Builder openWait(Duration openWait) {
            this.openWait = openWait;
            return this;
        }

        /** Growth of the open wait after each failed probe, 1..10; default 1 (no growth). */
        public Builder openWaitMultiplier(double openWaitMultiplier) {
            this.openWaitMultiplier = openWaitMultiplier;
            return this;
        }

        /**
         * How long the breaker may stay half-open while its probes have not all answered, 1ms..1 day
         * (default 60 s). Then the next permission request opens it again (a new open wait, then a
         * new probe), so a probe that hangs without a timeout cannot refuse every caller forever.
         */
        public Builder maxHalfOpenDuration(Duration maxHalfOpenDuration) {
            this.maxHalfOpenDuration = Require.nonNull("maxHalfOpenDuration", maxHalfOpenDuration);
            return this;
        }

        /** Cap of the grown open wait, openWait..24 h; default max(openWait, 5 min). */
        public Builder maxOpenWait(Duration maxOpenWait) {
            this.maxOpenWait = maxOpenWait;
            return this;
        }

        /** Fraction (0..1) by which each open wait is randomly shortened; default 0. */
        public Builder openWaitJitter(double openWaitJitter) {
            this.openWaitJitter = openWaitJitter;
            return this;
        }

        /** Which faults count as failures; others release the permission uncounted. */
        public Builder recordFault(Predicate<Fault> recordFault) {
            this.recordFault = Require.nonNull("recordFault", recordFault);
            return this;
        }

        /** The time source; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Where transition and rejection events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /** The random source for open-wait jitter (seed it for reproducible tests); default a fresh {@link SplittableRandom}. */
        public Builder random(RandomGenerator random) {
            this.random = Require.nonNull("random", random);
            return this;
        }

        /** Validates the configuration and builds the breaker. */
        public CircuitBreaker build() {
            Require.between("failureThreshold", failureThreshold, 1, 10_000);
            if (mode == Mode.TIME_WINDOW) {
                Require.between("windowSize", windowSize, 1, 3600);
            } else {
                Require.between("windowSize", windowSize, 1, 100_000);
            }
            if (minimumCalls == null) {
                minimumCalls = mode == Mode.COUNT_WINDOW ? Math.min(10, windowSize) : 10;
            }
            Require.between("minimumCalls", minimumCalls, 1, mode == Mode.COUNT_WINDOW ? windowSize : 1_000_000);
            Require.between("failureRateThreshold", failureRateThreshold, 0.001, 1.0);
            Require.between("slowCallRateThreshold", slowCallRateThreshold, 0.001, 1.0);
            if (slowCallDuration != null) {
                if (mode == Mode.CONSECUTIVE_FAILURES) {
                    throw new IllegalArgumentException("slowCallDuration: " + Durations.format(slowCallDuration)
                            + " is not allowed in CONSECUTIVE_FAILURES mode; allowed in COUNT_WINDOW and TIME_WINDOW");
                }
                Require.between("slowCallDuration", slowCallDuration, Duration.ofMillis(1), Duration.ofHours(1));
            }
            Require.between("halfOpenPermits", halfOpenPermits, 1, 1000);
            Require.between("openWait", openWait, Duration.ofMillis(1), Duration.ofHours(1));
            Require.between("openWaitMultiplier", openWaitMultiplier, 1.0, 10.0);
            if (maxOpenWait != null) {
                Require.between("maxOpenWait", maxOpenWait, openWait, Duration.ofHours(24));
            }
            Require.between("openWaitJitter", openWaitJitter, 0.0, 1.0);
            Require.between("maxHalfOpenDuration", maxHalfOpenDuration, Duration.ofMillis(1), Duration.ofDays(1));
            return new CircuitBreaker(this);
        }
    }
}
