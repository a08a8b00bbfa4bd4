package dev.strata.resilience;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How a computed backoff delay is randomised so that callers failing together do not retry
 * together. {@link #FULL} is the default: it spreads retries the most and, for the same
 * nominal delay, puts the least load on a recovering dependency.
 */
public enum Jitter {
    /** A uniformly random delay between zero and the nominal delay. */
    FULL,
    /** Half the nominal delay plus a uniformly random part of the other half. */
    EQUAL,
    /** Exactly the nominal delay: predictable, and every failing caller retries in lockstep. */
    NONE;

    /** The jittered delay for a nominal delay; never negative, never above {@code nominalNanos}. */
    long apply(long nominalNanos) {
        if (nominalNanos <= 0) {
            return 0L;
        }
        return switch (this) {
            case FULL -> ThreadLocalRandom.current().nextLong(nominalNanos + 1);
            case EQUAL -> {
                long half = nominalNanos / 2;
                yield half + ThreadLocalRandom.current().nextLong(nominalNanos - half + 1);
            }
            case NONE -> nominalNanos;
        };
    }

    /** The smallest delay {@link #apply(long)} can return for this nominal delay. */
    long minimum(long nominalNanos) {
        return switch (this) {
            case FULL -> 0L;
            case EQUAL -> Math.max(0L, nominalNanos / 2);
            case NONE -> Math.max(0L, nominalNanos);
        };
    }
}
