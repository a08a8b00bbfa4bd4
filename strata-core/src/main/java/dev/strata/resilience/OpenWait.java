package dev.strata.resilience;

import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * How long an opened {@link CircuitBreaker} waits before it lets a probe through: the base wait,
 * grown by the multiplier for each opening in a row, capped, then shortened by a random jitter.
 * Thread-safe; used only when the breaker opens.
 */
final class OpenWait {

    private final long baseNanos;
    private final double multiplier;
    private final long maxNanos;
    private final double jitter;
    private final RandomGenerator random;
    private final ReentrantLock randomLock = new ReentrantLock();

    OpenWait(long baseNanos, double multiplier, long maxNanos, double jitter, RandomGenerator random) {
        this.baseNanos = baseNanos;
        this.multiplier = multiplier;
        this.maxNanos = maxNanos;
        this.jitter = jitter;
        this.random = random;
    }

    long baseNanos() {
        return baseNanos;
    }

    double multiplier() {
        return multiplier;
    }

    long maxNanos() {
        return maxNanos;
    }

    double jitter() {
        return jitter;
    }

    /** The wait before the n-th consecutive opening may probe: grown, capped, then jittered down. */
    long forOpening(int openings) {
        double wait = baseNanos;
        if (multiplier > 1.0 && openings > 1) {
            wait = baseNanos * Math.pow(multiplier, openings - 1);
        }
        long capped = (long) Math.min(wait, (double) maxNanos);
        if (jitter > 0.0) {
            double r;
            randomLock.lock();
            try {
                r = random.nextDouble();
            } finally {
                randomLock.unlock();
            }
            // Jitter only shortens the wait, so the cap stays a real upper bound and breakers of
            // many instances that opened together do not all probe at the same moment.
            capped = (long) (capped * (1.0 - jitter * r));
        }
        return capped;
    }
}
