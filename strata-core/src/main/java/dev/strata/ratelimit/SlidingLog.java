package dev.strata.ratelimit;

/**
 * Sliding window log: the time of every permit granted in the last window, in a ring that grows
 * with the key's traffic (up to the limit) and shrinks again when it empties out. Exact: never
 * more than L permits in any window of length W.
 */
final class SlidingLog extends Algorithm {

    private static final int INITIAL = 4;

    SlidingLog(RateLimitPolicy policy) {
        super(policy);
    }

    /** Guarded by its own monitor (the critical section only computes; a monitor costs no memory). */
    static final class Log {
        long[] times = new long[INITIAL];
        int head;
        int size;
        boolean retired;

        int capacity() {
            synchronized (this) {
                return times.length;
            }
        }

        long at(int i) {
            return times[(head + i) % times.length];
        }

        void expire(long now, long window) {
            while (size > 0 && times[head] <= now - window) {
                head = (head + 1) % times.length;
                size--;
            }
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
        return new Log();
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Log log = (Log) state;
        synchronized (log) {
            if (log.retired) {
                return Verdict.RETIRED;
            }
            log.expire(now, windowNanos);
            if (log.size + permits > limit) {
                // the permits come back when enough of the oldest ones have left the window
                long wait = log.at((int) (log.size + permits - limit - 1)) + windowNanos - now;
                if (into != null) {
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
                log.times[(log.head + log.size) % log.times.length] = now;
                log.size++;
            }
            if (into != null) {
                long remaining = limit - log.size;
                into.set(true, remaining, remaining > 0 ? 0L : log.at(0) + windowNanos - now, windowNanos, policy);
            }
            return Verdict.GRANTED;
        }
    }

    @Override
    Object snapshot(Object state) {
        Log log = (Log) state;
        synchronized (log) {
            Log copy = new Log();
            copy.times = log.times.clone();
            copy.head = log.head;
            copy.size = log.size;
            copy.retired = log.retired;
            return copy;
        }
    }

    @Override
    boolean retireIfAtRest(Object state, long now) {
        Log log = (Log) state;
        synchronized (log) {
            if (!log.retired) {
                log.expire(now, windowNanos);
                log.retired = log.size == 0;
            }
            return log.retired;
        }
    }

    @Override
    void retire(Object state) {
        Log log = (Log) state;
        synchronized (log) {
            log.retired = true;
        }
    }
}
