package dev.strata.ratelimit;

import static dev.strata.ratelimit.LocalRateLimiter.DEAD;

/**
 * Fixed window: the count of the current window, packed with the window's index into one long
 * (index in the high 32 bits, count in the low 32) so one compare-and-set decides.
 */
final class FixedWindow extends Algorithm {

    FixedWindow(RateLimitPolicy policy) {
        super(policy);
    }

    @Override
    Object newState(long now) {
        return new Cell(pack(now / windowNanos, 0));
    }

    private static long pack(long index, long count) {
        // the index wraps after 2^32 windows; only equality with the current index matters, and a
        // key idle for exactly a multiple of 2^32 windows is not a case worth a second word
        return (index << 32) | count;
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Cell cell = (Cell) state;
        long index = now / windowNanos;
        long resetIn = (index + 1) * windowNanos - now;
        int current = (int) index;
        while (true) {
            long v = cell.value;
            if (v == DEAD) {
                return Verdict.RETIRED;
            }
            long count = (int) (v >>> 32) == current ? (v & 0xFFFF_FFFFL) : 0L;
            if (count + permits > limit) {
                if (into != null) {
                    into.set(false, limit - count, resetIn, resetIn, policy);
                }
                return Verdict.REFUSED; // nothing frees up before the next window
            }
            if (cell.cas(v, pack(index, count + permits))) {
                if (into != null) {
                    long remaining = limit - count - permits;
                    into.set(true, remaining, remaining > 0 ? 0L : resetIn, resetIn, policy);
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
        long v = cell.value;
        if (v == DEAD) {
            return true;
        }
        boolean atRest = (int) (v >>> 32) != (int) (now / windowNanos) || (v & 0xFFFF_FFFFL) == 0;
        return atRest && cell.cas(v, DEAD);
    }

    @Override
    void retire(Object state) {
        ((Cell) state).value = DEAD;
    }
}
