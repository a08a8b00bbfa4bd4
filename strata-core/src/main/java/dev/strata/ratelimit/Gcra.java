package dev.strata.ratelimit;

import static dev.strata.ratelimit.LocalRateLimiter.DEAD;

/**
 * GCRA: the key's state is its theoretical arrival time (TAT), the time at which its bucket would
 * be full again. A request for n permits is granted when {@code max(TAT, now) + n*T - now <= B*T}
 * (T the emission interval, B the burst) and moves TAT there. One long, one compare-and-set.
 *
 * <p>A stale clock reading needs no special case: TAT only ever moves to {@code max(TAT, now) + n*T},
 * never back, and an older {@code now} only makes {@code max(TAT, now) + n*T - now} larger, so
 * such a reading is refused more readily, never admitted beyond the burst.
 */
final class Gcra extends Algorithm {

    private final long interval;
    private final long tolerance;

    Gcra(RateLimitPolicy policy) {
        super(policy);
        this.interval = policy.emissionIntervalNanos();
        this.tolerance = policy.burst() * interval;
    }

    @Override
    Object newState(long now) {
        return new Cell(now);
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Cell cell = (Cell) state;
        long cost = permits * interval;
        while (true) {
            long tat = cell.value;
            if (tat == DEAD) {
                return Verdict.RETIRED;
            }
            long base = Math.max(tat, now);
            long ahead = base + cost - now;
            if (ahead > tolerance) {
                long wait = ahead - tolerance;
                if (into != null) {
                    into.set(false, (tolerance - (base - now)) / interval, wait, base - now, policy);
                }
                return Verdict.REFUSED;
            }
            if (cell.cas(tat, now + ahead)) {
                if (into != null) {
                    long remaining = (tolerance - ahead) / interval;
                    into.set(true, remaining, remaining > 0 ? 0L : ahead + interval - tolerance, ahead, policy);
                }
                return Verdict.GRANTED;
            }
        }
    }

    @Override
    Object snapshot(Object state) {
        return new Cell(((Cell) state).value);
    }

    @Override
    boolean retireIfAtRest(Object state, long now) {
        Cell cell = (Cell) state;
        long tat = cell.value;
        return tat == DEAD || (tat <= now && cell.cas(tat, DEAD));
    }

    @Override
    void retire(Object state) {
        ((Cell) state).value = DEAD;
    }
}
