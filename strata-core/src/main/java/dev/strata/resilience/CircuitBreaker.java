package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.StrataEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

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
public final class CircuitBreaker extends BreakerStateMachine {

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

    // The fields, the permit protocol and the transitions are in BreakerStateMachine; this class
    // adds the public API on top, with no delegation in between (see there).

    private CircuitBreaker(BreakerConfig config) {
        super(config);
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
            case HALF_OPEN -> p.hasProbePermit();
            case FORCED_OPEN -> false;
        };
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
     * Gives back a permission without an outcome to count, e.g. when the call was cancelled
     * before it could succeed or fail, attributed to the period current now. In half-open state a
     * probe permit becomes available to another caller.
     */
    public void releasePermission() {
        releasePermission(phase.generation);
    }

    /** Refuses every call until {@link #reset()}, whatever the outcomes say. */
    public void forceOpen() {
        force(State.FORCED_OPEN, "forced open");
    }

    /** Permits every call and counts nothing until {@link #reset()}. */
    public void disable() {
        force(State.DISABLED, "disabled");
    }

    /** Back to {@code CLOSED} with an empty window and the open wait back at its base value. */
    public void reset() {
        force(State.CLOSED, "reset");
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
        return phase.remainingOpenNanos(clock);
    }

    /** A snapshot of the statistics; allocates, meant for dashboards and tests, not the hot path. */
    public Metrics metrics() {
        return statistics();
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
     * The configuration in force now (after any {@link #reconfigure}).
     *
     * @param mode how it decides to open (fixed for the breaker's life)
     * @param failureThreshold failures in a row that open it (CONSECUTIVE_FAILURES)
     * @param windowSize calls or seconds in the window (fixed for the breaker's life)
     * @param minimumCalls calls in the window before the rates count
     * @param failureRate failure rate (0..1) that opens it
     * @param slowCallDuration a call at least this long is slow; null when slow calls are not measured
     * @param slowCallRate slow-call rate (0..1) that opens it
     * @param halfOpenPermits probes while half-open
     * @param openWait time open before a probe
     * @param openWaitMultiplier growth of the open wait after each failed probe
     * @param maxOpenWait cap of the grown open wait
     * @param openWaitJitter share by which each open wait is randomly shortened
     * @param maxHalfOpenDuration how long it may stay half-open while probes have not answered
     */
    public record Settings(Mode mode, int failureThreshold, int windowSize, int minimumCalls, double failureRate,
                           Duration slowCallDuration, double slowCallRate, int halfOpenPermits, Duration openWait,
                           double openWaitMultiplier, Duration maxOpenWait, double openWaitJitter,
                           Duration maxHalfOpenDuration) {
    }

    /** The configuration in force now. */
    public Settings settings() {
        BreakerTuning t = tuning();
        WindowThresholds w = t.thresholds();
        OpenWait o = t.openWait();
        return new Settings(mode, t.failureThreshold(), windowSize, w.minimumCalls(), w.failureRate(),
                t.slowCallNanos() == Long.MAX_VALUE ? null : Duration.ofNanos(t.slowCallNanos()), w.slowCallRate(),
                t.halfOpenPermits(), Duration.ofNanos(o.baseNanos()), o.multiplier(), Duration.ofNanos(o.maxNanos()),
                o.jitter(), Duration.ofNanos(t.maxHalfOpenNanos()));
    }

    /**
     * Puts the thresholds and waits of {@code next} in force while the breaker runs, validated as
     * {@link Builder#build()} validates them. <b>Kept</b>: the state (an open breaker stays open
     * for the wait it opened with), the window's outcomes, the count of failures in a row, and the
     * permits of calls in flight, whose outcomes still count. The next outcome is judged by the new
     * thresholds; the next opening waits the new open wait; the next half-open period takes the new
     * number of probes. Allocation on the hot path is unchanged: each period carries the settings
     * it is judged by, so a call reads no extra volatile field.
     *
     * <p>The name, clock, event bus, random source and {@code recordFault} of {@code next} are
     * ignored: the breaker keeps its own.
     *
     * @throws IllegalArgumentException when a value is invalid, or {@code next} changes what is fixed
     *     for the breaker's life: the mode, the window size, or whether slow calls are measured
     *     (a slow-call duration set or removed); nothing changes then
     */
    public void reconfigure(Builder next) {
        BreakerConfig c = next.validated();
        if (c.mode() != mode) {
            throw new IllegalArgumentException("mode: " + mode + " -> " + c.mode()
                    + " cannot change while the breaker runs; needs a new breaker");
        }
        if (c.mode() != Mode.CONSECUTIVE_FAILURES && c.windowSize() != windowSize) {
            throw new IllegalArgumentException("windowSize: " + windowSize + " -> " + c.windowSize()
                    + " cannot change while the breaker runs; needs a new breaker");
        }
        if ((c.slowCallNanos() != Long.MAX_VALUE) != measuresDuration()) {
            throw new IllegalArgumentException("slowCallDuration: measuring slow calls cannot be switched "
                    + (measuresDuration() ? "off" : "on") + " while the breaker runs; needs a new breaker");
        }
        retune(c.tuning());
    }

    @Override
    public String toString() {
        return "CircuitBreaker[" + name + ", " + phase.state + ", " + mode + "]";
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
    public static final class Builder extends BreakerSettings {

        private Builder(String name) {
            super(name);
        }

        /** The default {@code recordFault}: retryable faults and any REMOTE, NETWORK or RESOURCE fault, never APPLICATION. */
        public static boolean recordedByDefault(Fault fault) {
            Layer layer = fault.layer();
            if (layer == Layer.APPLICATION) {
                return false;
            }
            return fault.retryable() || layer == Layer.REMOTE || layer == Layer.NETWORK || layer == Layer.RESOURCE;
        }

        // The other setters and the validation are in BreakerSettings; each returns this Builder.

        /** Which faults count as failures; others release the permission uncounted. */
        public Builder recordFault(Predicate<Fault> recordFault) {
            // Declared here, not in BreakerSettings: a bridge has no generic signature, so the
            // Builder would show a raw Predicate to reflection and javap.
            setRecordFault(recordFault);
            return this;
        }

        /** Validates the configuration and builds the breaker. */
        public CircuitBreaker build() {
            return new CircuitBreaker(validated());
        }
    }
}
