package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a retry waits before the next attempt. Three shapes:
 * <ul>
 *   <li>{@link #fixed(Duration)}: the same nominal delay before every retry;</li>
 *   <li>{@link #exponential(Duration, double, Duration)}: {@code initial x multiplier^(retry-1)}, capped;</li>
 *   <li>{@link #decorrelated(Duration, Duration)}: each delay drawn between the base and three times
 *       the previous delay, capped; it is random by construction, so {@link Jitter} does not apply.</li>
 * </ul>
 * Instances are immutable and validated when created.
 */
public sealed interface Backoff {

    /** The maximum nominal delay any backoff may use: one hour. */
    Duration MAX_DELAY = Duration.ofHours(1);

    /** The same nominal delay before every retry, then jittered. */
    static Backoff fixed(Duration delay) {
        return new Fixed(Require.between("backoff.delay", delay, Duration.ZERO, MAX_DELAY).toNanos());
    }

    /**
     * {@code initial}, then {@code initial x multiplier}, {@code initial x multiplier^2}, ... never
     * above {@code cap}; each nominal delay is then jittered.
     *
     * @throws IllegalArgumentException when initial is not in 0..1h, multiplier not in 1..10, or cap
     *     is below initial or above 1h
     */
    static Backoff exponential(Duration initial, double multiplier, Duration cap) {
        Require.between("backoff.initial", initial, Duration.ZERO, MAX_DELAY);
        Require.between("backoff.multiplier", multiplier, 1.0, 10.0);
        Require.between("backoff.cap", cap, initial, MAX_DELAY);
        return new Exponential(initial.toNanos(), multiplier, cap.toNanos());
    }

    /**
     * Decorrelated jitter: each delay is uniformly random between {@code base} and three times the
     * previous delay, never above {@code cap}. The configured {@link Jitter} is ignored.
     */
    static Backoff decorrelated(Duration base, Duration cap) {
        Require.positive("backoff.base", base);
        Require.between("backoff.base", base, Duration.ofNanos(1), MAX_DELAY);
        Require.between("backoff.cap", cap, base, MAX_DELAY);
        return new Decorrelated(base.toNanos(), cap.toNanos());
    }

    /**
     * The delay before retry number {@code retry} (1 for the wait after the first attempt).
     *
     * @param previousNanos the delay used before the previous retry, 0 for the first
     */
    long delayNanos(int retry, long previousNanos, Jitter jitter);

    /** The smallest delay {@link #delayNanos} can return before retry number {@code retry}. */
    long minimumNanos(int retry, Jitter jitter);

    /** The largest delay {@link #delayNanos} can return before retry number {@code retry} (jitter only shortens). */
    long maximumNanos(int retry, Jitter jitter);

    /** A fixed nominal delay. */
    record Fixed(long delayNanos) implements Backoff {
        @Override
        public long delayNanos(int retry, long previousNanos, Jitter jitter) {
            return jitter.apply(delayNanos);
        }

        @Override
        public long minimumNanos(int retry, Jitter jitter) {
            return jitter.minimum(delayNanos);
        }

        @Override
        public long maximumNanos(int retry, Jitter jitter) {
            return delayNanos;
        }

        @Override
        public String toString() {
            return "fixed " + Durations.format(delayNanos);
        }
    }

    /** An exponentially growing nominal delay with a cap. */
    record Exponential(long initialNanos, double multiplier, long capNanos) implements Backoff {
        /** The delay before retry {@code retry} before jitter: {@code min(cap, initial x multiplier^(retry-1))}. */
        public long nominalNanos(int retry) {
            double nanos = initialNanos * Math.pow(multiplier, Math.max(0, retry - 1));
            return nanos >= capNanos ? capNanos : (long) nanos;
        }

        @Override
        public long delayNanos(int retry, long previousNanos, Jitter jitter) {
            return jitter.apply(nominalNanos(retry));
        }

        @Override
        public long minimumNanos(int retry, Jitter jitter) {
            return jitter.minimum(nominalNanos(retry));
        }

        @Override
        public long maximumNanos(int retry, Jitter jitter) {
            return nominalNanos(retry);
        }

        @Override
        public String toString() {
            return "exponential " + Durations.format(initialNanos) + " x" + multiplier + " up to " + Durations.format(capNanos);
        }
    }

    /** Decorrelated jitter between a base and a cap. */
    record Decorrelated(long baseNanos, long capNanos) implements Backoff {
        @Override
        public long delayNanos(int retry, long previousNanos, Jitter jitter) {
            long upper = Math.min(capNanos, Math.max(baseNanos, previousNanos) * 3);
            if (upper <= baseNanos) {
                return Math.min(baseNanos, capNanos);
            }
            return ThreadLocalRandom.current().nextLong(baseNanos, upper + 1);
        }

        @Override
        public long minimumNanos(int retry, Jitter jitter) {
            return baseNanos;
        }

        /** Each upper bound is three times the previous one, from the base: {@code min(cap, base x 3^retry)}. */
        @Override
        public long maximumNanos(int retry, Jitter jitter) {
            double upper = baseNanos * Math.pow(3, retry);
            return upper >= capNanos ? capNanos : (long) upper;
        }

        @Override
        public String toString() {
            return "decorrelated " + Durations.format(baseNanos) + " up to " + Durations.format(capNanos);
        }
    }
}
