package dev.strata.ratelimit;

import static dev.strata.ratelimit.LocalRateLimiter.DEAD;

/**
 * Fixed window: the count of the current window, packed with the window's index into one long
 * (the index in the high bits, the count in the low bits) so one compare-and-set decides.
 *
 * <p>The window index never moves backwards. A caller whose clock reading is from an earlier
 * window than the stored one (it read the clock, then others moved the window on before it
 * decided) is decided against the stored, newer window: it neither resets that window's count
 * nor writes its older index back.
 */
final class FixedWindow extends Algorithm {

    /** Bits of the count: enough that an all-ones count exceeds the limit, so no packed state equals {@code DEAD}. */
    private final int countBits;
    private final long countMask;

    FixedWindow(RateLimitPolicy policy) {
        super(policy);
        this.countBits = 64 - Long.numberOfLeadingZeros(limit + 1);
        this.countMask = (1L << countBits) - 1;
    }

    @Override
    Object newState(long now) {
        return new Cell(pack(now / windowNanos, 0));
    }

    private long pack(long index, long count) {
        // the index keeps its low 64 - countBits bits: at least 32, and 45 or more for limits
        // below 2^18, enough to compare any two indices of 1 ms windows a long of nanoseconds reaches
        return (index << countBits) | count;
    }

    /**
     * The index of the window stored in {@code v}, from the index of a reading. Stored indices
     * are compared by their signed difference, like {@link System#nanoTime()} values: exact while
     * they are less than 2^(63 - countBits) windows apart (at least 2^31; a key left idle in the
     * map longer than that may be taken for a newer window, which {@code evictIdle} prevents).
     */
    private long storedIndex(long v, long index) {
        return index + ((((v >>> countBits) - index) << countBits) >> countBits);
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Cell cell = (Cell) state;
        long readIndex = now / windowNanos;
        while (true) {
            long v = cell.value;
            if (v == DEAD) {
                return Verdict.RETIRED;
            }
            long stored = storedIndex(v, readIndex);
            // a reading from before the stored window is decided in that window: it must not reset it
            long index = Math.max(stored, readIndex);
            long count = index == stored ? v & countMask : 0L;
            long resetIn = (index + 1) * windowNanos - now; // from the caller's reading
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
        long index = now / windowNanos;
        // at rest once its window has passed (not when it is newer than this reading) or when empty
        boolean atRest = storedIndex(v, index) < index || (v & countMask) == 0;
        return atRest && cell.cas(v, DEAD);
    }

    @Override
    void retire(Object state) {
        ((Cell) state).value = DEAD;
    }
}
