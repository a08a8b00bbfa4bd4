package dev.strata.ratelimit;

/**
 * Sliding window counter: counts of the previous and the current fixed window; the sliding
 * window's count is estimated as {@code previous * (unexpired share of the previous window) + current}.
 *
 * <p>The window index never moves backwards: a clock reading from before the stored window is
 * decided at that window's start, where the previous window weighs most.
 */
final class SlidingWindowCounter extends Algorithm {

    SlidingWindowCounter(RateLimitPolicy policy) {
        super(policy);
    }

    /** Guarded by its own monitor (the critical section only computes; a monitor costs no memory). */
    static final class Counts {
        long index;
        long start; // index * the window, in nanoseconds: a reading in this window needs no division
        int previous;
        int current;
        boolean retired;

        Counts(long index, long windowNanos) {
            this.index = index;
            this.start = index * windowNanos;
        }

        /** Rolls the counts forward to window {@code index}, never back; must hold the monitor. */
        void roll(long index, long windowNanos) {
            if (index > this.index) {
                previous = this.index == index - 1 ? current : 0;
                current = 0;
                this.index = index;
                this.start = index * windowNanos;
            }
        }
    }

    @Override
    Object newState(long now) {
        return new Counts(now / windowNanos, windowNanos);
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Counts c = (Counts) state;
        synchronized (c) {
            if (c.retired) {
                return Verdict.RETIRED;
            }
            long position = now - c.start;
            long lag = 0L; // times in the decision are measured from the caller's reading
            if (position < 0) {
                // a reading from before the stored window is decided at that window's start: it must not reset it
                lag = -position;
                position = 0L;
            } else if (position >= windowNanos) {
                long index = now / windowNanos; // a later window: the only decision that divides
                position = now - index * windowNanos;
                c.roll(index, windowNanos);
            }
            if (fits(c, position, permits)) {
                double before = into != null ? estimate(c, position) : 0.0; // the estimate this grant is added to
                c.current += permits;
                if (into != null) {
                    long remaining = (long) Math.floor(limit - before - permits);
                    into.set(true, remaining, remaining >= 1 ? 0L : waitFor(c, position, 1) + lag,
                            reset(c, position) + lag, policy);
                }
                return Verdict.GRANTED;
            }
            if (into != null) {
                double estimate = estimate(c, position);
                into.set(false, (long) Math.floor(Math.max(0, limit - estimate)), waitFor(c, position, permits) + lag,
                        reset(c, position) + lag, policy);
            }
            return Verdict.REFUSED;
        }
    }

    /** The sliding window's count: the unexpired share of the previous window's, plus the current one's. */
    private double estimate(Counts c, long position) {
        return c.previous * ((double) (windowNanos - position) / windowNanos) + c.current;
    }

    /**
     * Whether {@code permits} fit: {@code previous * (W - position) / W + current + permits <= limit},
     * compared exactly in integers ({@code previous * (W - position) <= room * W}, 128-bit products),
     * which costs a few multiplications where the estimate in {@code double} costs a division.
     */
    private boolean fits(Counts c, long position, int permits) {
        long room = limit - c.current - permits;
        if (room < 0) {
            return false;
        }
        long previous = c.previous;
        if (previous == 0) {
            return true;
        }
        long left = windowNanos - position; // all four factors are non-negative
        long leftHigh = Math.multiplyHigh(previous, left);
        long rightHigh = Math.multiplyHigh(room, windowNanos);
        if (leftHigh != rightHigh) {
            return leftHigh < rightHigh;
        }
        return Long.compareUnsigned(previous * left, room * windowNanos) <= 0;
    }

    /** Nanoseconds until the estimate leaves room for {@code permits} (no other request assumed). */
    private long waitFor(Counts c, long position, int permits) {
        long room = limit - c.current - permits;
        if (room >= 0) {
            if (c.previous == 0) {
                return 0L;
            }
            // previous * (W - p') / W <= room  <=>  p' >= W * (1 - room / previous)
            double at = windowNanos * (1.0 - (double) room / c.previous);
            return Math.max(0L, (long) Math.ceil(at) - position);
        }
        // not before the next window, in which today's current count becomes the previous one
        double at = windowNanos * (1.0 - (double) (limit - permits) / c.current);
        return (windowNanos - position) + Math.max(0L, (long) Math.ceil(at));
    }

    /** Nanoseconds until both counted windows have slid out. */
    private long reset(Counts c, long position) {
        if (c.current > 0) {
            return 2 * windowNanos - position;
        }
        return c.previous > 0 ? windowNanos - position : 0L;
    }

    @Override
    Object snapshot(Object state) {
        Counts c = (Counts) state;
        synchronized (c) {
            Counts copy = new Counts(c.index, windowNanos);
            copy.previous = c.previous;
            copy.current = c.current;
            copy.retired = c.retired;
            return copy;
        }
    }

    @Override
    boolean retireIfAtRest(Object state, long now) {
        Counts c = (Counts) state;
        synchronized (c) {
            if (!c.retired) {
                c.roll(now / windowNanos, windowNanos); // a stale reading leaves newer counts alone
                if (c.previous == 0 && c.current == 0) {
                    c.retired = true;
                }
            }
            return c.retired;
        }
    }

    @Override
    void retire(Object state) {
        Counts c = (Counts) state;
        synchronized (c) {
            c.retired = true;
        }
    }
}
