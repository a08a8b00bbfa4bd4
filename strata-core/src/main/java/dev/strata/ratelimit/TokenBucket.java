package dev.strata.ratelimit;

/**
 * Token bucket with continuous refill. The bucket's content is kept as "credit" in nanoseconds of
 * refill time (one permit = T nanoseconds, a full bucket = B*T), so the arithmetic is exact and
 * its decisions equal {@link Gcra}'s; the difference is two words of state updated under a lock
 * instead of one updated by compare-and-set.
 *
 * <p>A stale clock reading (older than the refill time) is decided at the refill time, which
 * never moves back: nothing refills for it. GCRA, which keeps no time but the arrival time,
 * decides such a reading at the reading itself, so it may refuse where the bucket admits; both
 * announce the same wait, measured from the caller's reading.
 */
final class TokenBucket extends Algorithm {

    private final long interval;
    private final long capacity;

    TokenBucket(RateLimitPolicy policy) {
        super(policy);
        this.interval = policy.emissionIntervalNanos();
        this.capacity = policy.burst() * interval;
    }

    /**
     * Guarded by its own monitor: the critical section only computes (it never blocks), and a
     * monitor costs no memory beyond the object header, which matters at millions of keys.
     */
    static final class Bucket {
        long credit;
        long refilledAt;
        boolean retired;

        Bucket(long credit, long refilledAt) {
            this.credit = credit;
            this.refilledAt = refilledAt;
        }
    }

    @Override
    Object newState(long now) {
        return new Bucket(capacity, now);
    }

    @Override
    Verdict decide(Object state, long now, int permits, RateLimitDecision into) {
        Bucket b = (Bucket) state;
        long need = permits * interval;
        synchronized (b) {
            if (b.retired) {
                return Verdict.RETIRED;
            }
            // callers read the clock before taking the lock, so a later caller may carry an earlier
            // now: it is decided at the refill time, which never moves back (nothing refills for it)
            long elapsed = Math.max(0L, now - b.refilledAt);
            long lag = Math.max(0L, b.refilledAt - now); // times in the decision are measured from the caller's reading
            long credit = Math.min(capacity, b.credit + elapsed);
            b.refilledAt = Math.max(now, b.refilledAt);
            if (credit >= need) {
                credit -= need;
                b.credit = credit;
                if (into != null) {
                    into.set(true, credit / interval, credit >= interval ? 0L : interval - credit + lag,
                            capacity - credit + lag, policy);
                }
                return Verdict.GRANTED;
            }
            b.credit = credit;
            if (into != null) {
                into.set(false, credit / interval, need - credit + lag, capacity - credit + lag, policy);
            }
            return Verdict.REFUSED;
        }
    }

    @Override
    Object snapshot(Object state) {
        Bucket b = (Bucket) state;
        synchronized (b) {
            Bucket copy = new Bucket(b.credit, b.refilledAt);
            copy.retired = b.retired;
            return copy;
        }
    }

    @Override
    boolean retireIfAtRest(Object state, long now) {
        Bucket b = (Bucket) state;
        synchronized (b) {
            if (!b.retired && b.credit + Math.max(0L, now - b.refilledAt) >= capacity) {
                b.retired = true;
            }
            return b.retired;
        }
    }

    @Override
    void retire(Object state) {
        Bucket b = (Bucket) state;
        synchronized (b) {
            b.retired = true;
        }
    }
}
