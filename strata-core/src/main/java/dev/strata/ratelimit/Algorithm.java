package dev.strata.ratelimit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One admission algorithm of {@link LocalRateLimiter}, deciding on a per-key state object it
 * creates. Times are nanoseconds since the limiter's start (never negative).
 */
abstract class Algorithm {

    final RateLimitPolicy policy;
    final long limit;
    final long windowNanos;

    Algorithm(RateLimitPolicy policy) {
        this.policy = policy;
        this.limit = policy.limit();
        this.windowNanos = policy.window().toNanos();
    }

    /**
     * What one decision did. The numbers that go with it (remaining quota, retry-after, reset)
     * are written into the caller's {@link RateLimitDecision}, never folded into a return value,
     * so no outcome can be mistaken for a wait.
     */
    enum Verdict {
        /** The permits were taken. */
        GRANTED,
        /** The permits were refused; nothing was taken. */
        REFUSED,
        /** Nothing was decided: the state was retired (evicted) meanwhile; the caller looks the key up again. */
        RETIRED
    }

    /**
     * The state of a key seen for the first time at {@code now}: at rest (full quota), as of
     * {@code now} (a later decision with an older reading is decided as at {@code now}).
     */
    abstract Object newState(long now);

    /**
     * Decides on {@code permits} for the key whose state this is, with the caller's clock
     * reading {@code now}. That reading may be older than times the state has already seen
     * (the caller read the clock, then others decided first): it is then decided against the
     * newest state, which never moves backwards, and is never admitted where an up-to-date
     * reading would be refused.
     *
     * @param into filled on {@link Verdict#GRANTED} and {@link Verdict#REFUSED} when not null,
     *             with times measured from {@code now}; untouched on {@link Verdict#RETIRED}
     */
    abstract Verdict decide(Object state, long now, int permits, RateLimitDecision into);

    /**
     * A copy of the state that no other decision touches, for explaining a refusal after the
     * fact: deciding on it takes nothing from the key. Off the hot path (it allocates).
     */
    abstract Object snapshot(Object state);

    /**
     * Marks the state retired if it is at rest at {@code now}, so no later decision uses it.
     *
     * @return whether it was retired (and may be removed from the map)
     */
    abstract boolean retireIfAtRest(Object state, long now);

    /** Marks the state retired whatever it holds (forced eviction at the key cap). */
    abstract void retire(Object state);

    /**
     * A state of one long updated by compare-and-set: the smallest state object the JVM can
     * have (16 bytes with compressed class pointers).
     */
    static final class Cell {
        static final VarHandle VALUE;

        static {
            try {
                VALUE = MethodHandles.lookup().findVarHandle(Cell.class, "value", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        volatile long value;

        Cell(long value) {
            this.value = value;
        }

        boolean cas(long expected, long next) {
            return VALUE.compareAndSet(this, expected, next);
        }
    }
}
