package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.resilience.CircuitBreaker.State;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One period of a {@link CircuitBreaker}'s state machine: the breaker holds the current one in a
 * single volatile field and replaces it by compare-and-set on each transition, never changing its
 * state in place. A half-open period also keeps the accounting of its probes: permits left, probes
 * in flight (each owes exactly one outcome) and successes so far.
 */
final class Phase {

    /** Unique per breaker and positive; the permit handed to the calls this period admits. */
    final long generation;
    final State state;
    /** OPEN: when the wait ends. HALF_OPEN: when the period ends if its probes never answer. */
    final long openUntilNanos;
    /** Consecutive openings without a close in between; drives the wait growth. */
    final int openings;
    /** OPEN: the wait this period began with, for its transition event; else 0. */
    final long openNanos;
    /** Probe permits a half-open period began with (0 otherwise). */
    final int permits;
    /** The thresholds and waits this period is judged by; read on the hot path instead of a volatile field. */
    final BreakerTuning tuning;
    private final AtomicInteger permitsLeft;
    private final AtomicInteger probesInFlight;
    private final AtomicInteger probeSuccesses;

    Phase(long generation, State state, long openUntilNanos, int openings, int permits, long openNanos,
          BreakerTuning tuning) {
        this.generation = generation;
        this.state = state;
        this.openUntilNanos = openUntilNanos;
        this.openings = openings;
        this.openNanos = openNanos;
        this.permits = permits;
        this.tuning = tuning;
        boolean halfOpen = state == State.HALF_OPEN;
        this.permitsLeft = halfOpen ? new AtomicInteger(permits) : null;
        this.probesInFlight = halfOpen ? new AtomicInteger() : null;
        this.probeSuccesses = halfOpen ? new AtomicInteger() : null;
    }

    private Phase(Phase same, BreakerTuning tuning) {
        this.generation = same.generation;
        this.state = same.state;
        this.openUntilNanos = same.openUntilNanos;
        this.openings = same.openings;
        this.openNanos = same.openNanos;
        this.permits = same.permits;
        this.tuning = tuning;
        this.permitsLeft = same.permitsLeft;
        this.probesInFlight = same.probesInFlight;
        this.probeSuccesses = same.probeSuccesses;
    }

    /**
     * The same period (generation, state, deadlines and probe counters, shared) under new
     * thresholds: what a retune swaps in, so permits issued before stay valid.
     */
    Phase retuned(BreakerTuning next) {
        return new Phase(this, next);
    }

    /** HALF_OPEN: takes a probe permit if one is left; the probe then owes one outcome. */
    boolean takeProbePermit() {
        AtomicInteger permits = permitsLeft;
        for (int left = permits.get(); left > 0; left = permits.get()) {
            if (permits.compareAndSet(left, left - 1)) {
                probesInFlight.incrementAndGet();
                return true;
            }
        }
        return false;
    }

    /** HALF_OPEN: whether a probe permit is left; a read-only peek. */
    boolean hasProbePermit() {
        return permitsLeft.get() > 0;
    }

    /**
     * HALF_OPEN: matches an outcome to a probe in flight; false when more outcomes arrive than
     * probes were admitted.
     */
    boolean claimProbeOutcome() {
        AtomicInteger inFlight = probesInFlight;
        for (int n = inFlight.get(); n > 0; n = inFlight.get()) {
            if (inFlight.compareAndSet(n, n - 1)) {
                return true;
            }
        }
        return false;
    }

    /** HALF_OPEN: a probe whose outcome was claimed gave its permit back uncounted. */
    void returnProbePermit() {
        permitsLeft.incrementAndGet();
    }

    /** HALF_OPEN: counts a successful probe (its outcome claimed); returns the successes so far. */
    int probeSucceeded() {
        return probeSuccesses.incrementAndGet();
    }

    /**
     * Nanoseconds until this period lets a probe through: 0 unless OPEN or FORCED_OPEN, 0 when the
     * wait has elapsed, {@link Long#MAX_VALUE} when forced open. Reads the clock only when OPEN.
     */
    long remainingOpenNanos(Clock clock) {
        return switch (state) {
            case OPEN -> Math.max(0L, openUntilNanos - clock.nanoTime());
            case FORCED_OPEN -> Long.MAX_VALUE;
            default -> 0L;
        };
    }
}
