package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.internal.Durations;
import dev.strata.resilience.CircuitBreaker.Metrics;
import dev.strata.resilience.CircuitBreaker.Mode;
import dev.strata.resilience.CircuitBreaker.State;
import dev.strata.resilience.internal.BreakerPermits;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The state machine of a {@link CircuitBreaker}: its configuration, its current period
 * ({@link Phase}), the CLOSED state's counters, the permit protocol that attributes each outcome to
 * the period that admitted its call, and the transitions between periods. {@code CircuitBreaker}
 * extends it and adds the public API, as the JDK's StringBuilder extends AbstractStringBuilder:
 * the hot methods and the fields they read stay in one object, so splitting the source adds no
 * delegation or indirection to a call. Not API: package-private and sealed; code outside the
 * package reaches the permit protocol only through {@link BreakerPermits}.
 */
abstract sealed class BreakerStateMachine permits CircuitBreaker {

    // ---------------------------------------------------------------------------------------
    // configuration (immutable, nanos precomputed so the hot path touches no Duration). The
    // window's rate thresholds live in WindowThresholds, the open wait's growth and jitter in
    // OpenWait, and what the breaker publishes in BreakerEvents. Package-private fields are the
    // ones CircuitBreaker's public methods read.

    final String name;
    final Mode mode;
    final Clock clock;
    final BreakerEvents events;
    private final Predicate<Fault> recordFault;
    /** Calls (count window) or seconds (time window) in the window; fixed for the breaker's life. */
    final int windowSize;
    /** Whether slow calls are measured; fixed for the breaker's life (see {@link #measuresDuration()}). */
    private final boolean measuresDuration;
    /**
     * The thresholds and waits in force, as last set by {@link #retune}. Read only when a new
     * period begins; the hot path reads the copy its {@link Phase} carries, so a retune costs a
     * call no extra volatile read.
     */
    private volatile BreakerTuning latest;
    /** Serialises retunes. */
    private final java.util.concurrent.locks.ReentrantLock retuneLock = new java.util.concurrent.locks.ReentrantLock();

    // ---------------------------------------------------------------------------------------
    // state

    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(BreakerStateMachine.class, "phase", Phase.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        // Strata's own modules outside this package (a rate limiter's breaker) use the permit
        // protocol through dev.strata.resilience.internal; it is not API. Installed when the first
        // CircuitBreaker class use initialises this superclass, before any breaker exists.
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

    /** The current period; read anywhere, replaced only through {@link #transition}. */
    volatile Phase phase;
    /** Numbers the periods; each phase gets the next one, so a permit names the period that issued it. */
    private final AtomicLong generations = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final LongAdder notPermitted = new LongAdder();
    /** The outcome statistics of the CLOSED state; null in {@link Mode#CONSECUTIVE_FAILURES} mode. */
    private final SlidingWindow window;

    BreakerStateMachine(BreakerConfig c) {
        this.name = c.name();
        this.mode = c.mode();
        this.clock = c.clock();
        this.events = new BreakerEvents(name, clock, c.events());
        this.recordFault = c.recordFault();
        this.windowSize = c.windowSize();
        this.measuresDuration = c.slowCallNanos() != Long.MAX_VALUE;
        this.latest = c.tuning();
        this.window = c.newWindow();
        this.phase = newPhase(State.CLOSED, 0L, 0, 0, 0L);
    }

    // ---------------------------------------------------------------------------------------
    // the permit protocol

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
                BreakerTuning t = latest;
                Phase halfOpen = newPhase(State.HALF_OPEN, clock.nanoTime() + t.maxHalfOpenNanos(), p.openings,
                        t.halfOpenPermits(), 0L, t);
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
        if (p.takeProbePermit()) {
            return p.generation;
        }
        if (clock.nanoTime() - p.openUntilNanos >= 0) {
            // Every probe permit is taken and none answered in time (a hung probe without a
            // timeout, or one whose outcome was never reported): open again rather than refuse
            // every caller for as long as the probe hangs. Its late outcome no longer counts.
            open(p, p.openings + 1, "half-open for longer than maxHalfOpenDuration " + Durations.format(p.tuning.maxHalfOpenNanos())
                    + " without every probe answering");
        }
        return refuse(p);
    }

    private long refuse(Phase p) {
        notPermitted.increment();
        if (events.publishesRefusals()) {
            events.refused(p.state, p.remainingOpenNanos(clock));
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
     * Whether {@code permit} is a probe permit of the current half-open period, i.e. its call's
     * outcome will decide between closing and opening again. Changes nothing, never blocks.
     */
    boolean isProbe(long permit) {
        Phase p = phase;
        return p.generation == permit && p.state == State.HALF_OPEN;
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
                BreakerTuning t = p.tuning;
                if (window != null && window.record(false, durationNanos >= t.slowCallNanos(), t.thresholds())
                        && samePeriod(p)) {
                    openFromClosed(p);
                }
            }
            case HALF_OPEN -> {
                if (!p.claimProbeOutcome()) {
                    return;
                }
                long slowCallNanos = p.tuning.slowCallNanos();
                if (durationNanos >= slowCallNanos) {
                    // A probe that answers but too slowly says the dependency has not recovered.
                    open(p, p.openings + 1, "probe was slow: " + Durations.format(durationNanos) + " >= "
                            + Durations.format(slowCallNanos));
                } else if (p.probeSucceeded() >= p.permits) {
                    closeFromHalfOpen(p);
                }
            }
            default -> {
                // DISABLED counts nothing; OPEN and FORCED_OPEN issue no permits.
            }
        }
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
                BreakerTuning t = p.tuning;
                boolean open = window == null
                        ? inARow >= t.failureThreshold()
                        : window.record(true, durationNanos >= t.slowCallNanos(), t.thresholds());
                if (open && samePeriod(p)) {
                    openFromClosed(p);
                }
            }
            case HALF_OPEN -> {
                if (p.claimProbeOutcome()) {
                    open(p, p.openings + 1, "probe failed: " + fault);
                }
            }
            default -> {
                // DISABLED counts nothing; OPEN and FORCED_OPEN issue no permits.
            }
        }
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
        if (p.generation == permit && p.state == State.HALF_OPEN && p.claimProbeOutcome()) {
            p.returnProbePermit();
        }
    }

    /**
     * Whether the durations passed to {@link #onSuccess} and {@link #onFailure} are used, i.e. a
     * slow-call duration is configured. When false, callers may pass 0 and skip reading the clock.
     */
    boolean measuresDuration() {
        return measuresDuration;
    }

    /** Whether {@code p}'s period is still the current one (a retune replaces the phase, not the period). */
    private boolean samePeriod(Phase p) {
        return phase.generation == p.generation;
    }

    /** The thresholds and waits in force now. */
    final BreakerTuning tuning() {
        return latest;
    }

    /**
     * Puts new thresholds and waits in force without leaving the current period: the state, the
     * window's outcomes, the consecutive-failure count, the permits in flight and the current open
     * wait are kept; the next outcome is judged by the new thresholds, the next opening waits the
     * new wait. Calls admitted before keep their permits.
     */
    final void retune(BreakerTuning next) {
        retuneLock.lock();
        try {
            latest = next;
            for (;;) {
                Phase p = phase;
                if (p.tuning == next || PHASE.compareAndSet(this, p, p.retuned(next))) {
                    return;
                }
            }
        } finally {
            retuneLock.unlock();
        }
    }

    /** The statistics behind {@link CircuitBreaker#metrics()}; allocates. */
    Metrics statistics() {
        State state = phase.state;
        long refused = notPermitted.sum();
        int inARow = consecutiveFailures.get();
        if (window == null) {
            return new Metrics(state, 0.0, 0.0, 0, 0, 0, refused, inARow);
        }
        return window.snapshot(state, refused, inARow);
    }

    // ---------------------------------------------------------------------------------------
    // transitions

    private void openFromClosed(Phase p) {
        BreakerTuning t = p.tuning;
        String reason = window == null
                ? consecutiveFailures.get() + " consecutive failures >= " + t.failureThreshold()
                : t.thresholds().reason(window.snapshot(State.CLOSED, 0L, consecutiveFailures.get()));
        open(p, 1, reason);
    }

    private void closeFromHalfOpen(Phase p) {
        // The window is unused while half-open; clear it before publishing CLOSED so the new
        // period starts empty.
        clearCounters();
        transition(p, newPhase(State.CLOSED, 0L, 0, 0, 0L), p.permits == 1 ? "probe succeeded" : "all " + p.permits + " probes succeeded");
    }

    private void open(Phase from, int openings, String reason) {
        long wait = latest.openWait().forOpening(openings);
        transition(from, newPhase(State.OPEN, clock.nanoTime() + wait, openings, 0, wait), reason);
    }

    private boolean transition(Phase from, Phase to, String reason) {
        while (!PHASE.compareAndSet(this, from, to)) {
            Phase now = phase;
            if (now.generation != from.generation) {
                return false;
            }
            // Only retuned meanwhile (same period, new thresholds): move on from there, with them.
            from = now;
            to = to.retuned(now.tuning);
        }
        if (to.state == State.CLOSED) {
            consecutiveFailures.set(0);
        }
        events.stateChanged(from.state, to.state, reason, to.openNanos);
        return true;
    }

    /**
     * Moves to {@code state} whatever the outcomes say: an operator's override ({@code FORCED_OPEN},
     * {@code DISABLED}) or a reset to {@code CLOSED}, which also clears the counters.
     */
    void force(State state, String reason) {
        Phase to = newPhase(state, 0L, 0, 0, 0L);
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

    private Phase newPhase(State state, long openUntilNanos, int openings, int permits, long openNanos) {
        return newPhase(state, openUntilNanos, openings, permits, openNanos, latest);
    }

    private Phase newPhase(State state, long openUntilNanos, int openings, int permits, long openNanos, BreakerTuning t) {
        return new Phase(generations.incrementAndGet(), state, openUntilNanos, openings, permits, openNanos, t);
    }
}
