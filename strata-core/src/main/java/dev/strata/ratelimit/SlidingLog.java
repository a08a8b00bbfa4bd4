package dev.strata.ratelimit;

/**
 * Sliding window log: the time of every permit granted in the last window, in a ring that grows
 * with the key's traffic (up to the limit) and shrinks again when it empties out. Exact: never
 * more than L permits in any window of length W.
 *
 * <p>The ring stays in time order: a caller whose clock reading is older than the newest time
 * the log has decided at is decided, and recorded, at that newest time. (Recorded at its own
 * reading, such a permit sat behind newer ones, was never expired in turn, and made the
 * computed wait meaningless.)
 */
final class SlidingLog extends Algorithm {

    private static final int INITIAL = 4;

    SlidingLog(RateLimitPolicy policy) {
        super(policy);
    }

    /** Guarded by its own monitor (the critical section only computes; a monitor costs no memory). */
    static final class Log {
        /** The granted permits' times, oldest first, from {@code head}; null once the log is retired. */
        long[] times = new long[INITIAL];
        int head;
        int size;
        /** The newest time the log has decided at; no later decision is made, nor permit recorded, before it. */
        long latest;

        Log(long latest) {
            this.latest = latest;
        }

        int capacity() {
            synchronized (this) {
                return times == null ? 0 : times.length;
            }
        }

        long at(int i) {
            return times[(head + i) % times.length];
        }

        /** Moves the log's time to {@code max(now, latest)} and drops the permits that left the window; returns that time. */
        long advance(long now, long window) {
            long at = Math.max(now, latest);
            latest = at;
            while (size > 0 && times[head] <= at - window) {
                head = (head + 1) % times.length;
                size--;
            }
            return at;
        }

        void resize(int capacity) {
            long[] next = new long[capacity];
            for (int i = 0; i < size; i++) {
                next[i] = at(i);
            }
            times = next;
            head = 0;
        }
    }

    @Override
    Object newState(long now) {
        return new Log(now);
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Log log = (Log) state;
        synchronized (log) {
            if (log.times == null) {
                return Verdict.RETIRED;
            }
            long at = log.advance(now, windowNanos);
            if (log.size + permits > limit) {
                if (into != null) {
                    // the permits come back when enough of the oldest ones have left the window;
                    // every time held is after at - window, so both waits are positive
                    long wait = log.at((int) (log.size + permits - limit - 1)) + windowNanos - now;
                    into.set(false, limit - log.size, wait, log.at(log.size - 1) + windowNanos - now, policy);
                }
                return Verdict.REFUSED;
            }
            int needed = log.size + permits;
            if (needed > log.times.length) {
                log.resize((int) Math.min(limit, Math.max(needed, 2L * log.times.length)));
            } else if (log.times.length > 64 && needed < log.times.length / 4) {
                log.resize(Math.max(INITIAL, log.times.length / 2)); // give memory back after a burst
            }
            for (int i = 0; i < permits; i++) {
                log.times[(log.head + log.size) % log.times.length] = at;
                log.size++;
            }
            if (into != null) {
                long remaining = limit - log.size;
                into.set(true, remaining, remaining > 0 ? 0L : log.at(0) + windowNanos - now, at + windowNanos - now, policy);
            }
            return Verdict.GRANTED;
        }
    }

    @Override
    Object snapshot(Object state) {
        Log log = (Log) state;
        synchronized (log) {
            Log copy = new Log(log.latest);
            copy.times = log.times == null ? null : log.times.clone();
            copy.head = log.head;
            copy.size = log.size;
            return copy;
        }
    }

    @Override
    boolean retireIfAtRest(Object state, long now) {
        Log log = (Log) state;
        synchronized (log) {
            if (log.times != null) {
                log.advance(now, windowNanos);
                if (log.size == 0) {
                    log.times = null;
                }
            }
            return log.times == null;
        }
    }

    @Override
    void retire(Object state) {
        Log log = (Log) state;
        synchronized (log) {
            log.times = null;
        }
    }
}
