package dev.strata.ratelimit;

import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import java.time.Duration;

/**
 * Admits at most a policy's number of permits per window for each key (a client, a tenant, an
 * API key, or one constant key for a whole dependency).
 *
 * <p>Three ways to ask, from cheapest to richest:
 * <ul>
 *   <li>{@link #tryAcquire(String, int)}: yes or no, never blocks;</li>
 *   <li>{@link #tryAcquire(String, int, RateLimitDecision)}: yes or no, and fills a caller-owned
 *       {@link RateLimitDecision} with the remaining quota and the time until a permit (for
 *       {@code Retry-After} and {@code RateLimit} headers) — reuse the holder and nothing is
 *       allocated;</li>
 *   <li>{@link #acquire(String, int, Duration, RateLimitDecision)}: waits, for at most the given
 *       time and never past the current {@link Deadline}, until the permits are granted.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe. A refused request consumes nothing.
 */
public interface RateLimiter {

    /** The limiter's name (the policy's name). */
    default String name() {
        return policy().name();
    }

    /** What this limiter enforces, e.g. for the {@code RateLimit-Policy} header. */
    RateLimitPolicy policy();

    /**
     * The longest one decision may take when the limiter asks a store over the network (for a
     * shared limiter: its timeout, after which its own fallback decides); null for a limiter that
     * decides in memory and never blocks. A caller that bounds its wait for a decision (the HTTP
     * edge) must wait longer than this, or it gives up before the limiter's fallback can answer.
     */
    default Duration decisionBound() {
        return null;
    }

    /**
     * What decides right now, for health and diagnosis: for a shared limiter {@code shared} or
     * {@code fallback <kind>: <reason>}; null for a limiter with a single mode (in-process).
     */
    default String mode() {
        return null;
    }

    /** The clock waits are measured on; the system clock unless the implementation was given another. */
    default Clock clock() {
        return Clock.system();
    }

    /** {@link #tryAcquire(String, int)} for one permit. */
    default boolean tryAcquire(String key) {
        return tryAcquire(key, 1);
    }

    /**
     * Takes {@code permits} for {@code key} if they are available now. Never blocks.
     *
     * @throws IllegalArgumentException when {@code permits} is below 1 or above the policy's burst
     *         (such a request could never be granted)
     */
    boolean tryAcquire(String key, int permits);

    /**
     * Like {@link #tryAcquire(String, int)}, and fills {@code into} with the full answer. Never
     * blocks; allocates nothing when {@code into} is reused.
     */
    boolean tryAcquire(String key, int permits, RateLimitDecision into);

    /** A fresh decision for one permit; see {@link #tryAcquire(String, int, RateLimitDecision)}. */
    default RateLimitDecision decide(String key) {
        return decide(key, 1);
    }

    /** A fresh decision for {@code permits}; see {@link #tryAcquire(String, int, RateLimitDecision)}. */
    default RateLimitDecision decide(String key, int permits) {
        RateLimitDecision d = new RateLimitDecision();
        tryAcquire(key, permits, d);
        return d;
    }

    /** {@link #acquire(String, int, Duration, RateLimitDecision)} without the detailed answer. */
    default boolean acquire(String key, int permits, Duration maxWait) throws InterruptedException {
        return acquire(key, permits, maxWait, new RateLimitDecision());
    }

    /**
     * Takes {@code permits} for {@code key}, waiting for them for at most {@code maxWait} and
     * never past the current {@link Deadline}. When the limiter says the permits come later than
     * the time left, it returns false at once instead of waiting in vain. {@code into} holds the
     * last answer.
     *
     * @return whether the permits were granted
     * @throws IllegalArgumentException when {@code maxWait} is negative or {@code permits} out of range
     * @throws InterruptedException when interrupted while waiting (nothing is held)
     */
    default boolean acquire(String key, int permits, Duration maxWait, RateLimitDecision into)
            throws InterruptedException {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait: " + (maxWait == null ? "null" : Durations.format(maxWait))
                    + " is not allowed; must be >= 0");
        }
        long budget = Deadline.remainingNanosOr(maxWait.toNanos());
        Clock clock = clock();
        long start = clock.nanoTime();
        while (true) {
            if (tryAcquire(key, permits, into)) {
                return true;
            }
            long left = budget - (clock.nanoTime() - start);
            long wait = into.retryAfterNanos();
            if (left <= 0 || wait > left) {
                return false; // the permit comes after the budget ends: refuse now rather than wait in vain
            }
            // another caller may take the permit first; at least 0.1 ms so a lost race does not spin
            clock.sleep(Math.min(left, Math.max(wait, 100_000L)));
        }
    }
}
