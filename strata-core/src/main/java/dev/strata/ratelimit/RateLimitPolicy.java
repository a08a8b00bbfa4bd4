package dev.strata.ratelimit;

import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * What a rate limiter enforces: at most {@code limit} permits per {@code window} for each key,
 * with bursts of up to {@code burst} permits for the bucket algorithms. Immutable.
 *
 * <p>{@link #headerValue()} renders the policy for the {@code RateLimit-Policy} response header of
 * the IETF draft "RateLimit header fields for HTTP" ({@code "api";q=100;w=60}).
 *
 * @param name the policy name shown in headers and logs, e.g. {@code api}
 * @param algorithm how admissions are decided
 * @param limit permits per window (the quota), at least 1
 * @param window the window the limit applies to, at least 1 ms
 * @param burst the most permits a key may take at once after a quiet period; equal to
 *              {@code limit} for the window algorithms
 */
public record RateLimitPolicy(String name, RateLimitAlgorithm algorithm, long limit, Duration window, long burst) {

    /** The largest limit or burst accepted: counts are packed in 31 bits in the fixed window. */
    public static final long MAX_LIMIT = Integer.MAX_VALUE;
    /** The longest window accepted. */
    public static final Duration MAX_WINDOW = Duration.ofDays(1);

    /**
     * @throws IllegalArgumentException naming the field, value and allowed range when a value is
     *         out of range
     */
    public RateLimitPolicy {
        if (name == null || name.isBlank() || name.indexOf('"') >= 0 || name.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("name: '" + name + "' is not allowed; must be non-blank without quotes or backslashes");
        }
        Objects.requireNonNull(algorithm, "algorithm");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " is out of range; allowed 1.." + MAX_LIMIT);
        }
        if (window == null || window.compareTo(Duration.ofMillis(1)) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException("window: " + (window == null ? "null" : Durations.format(window))
                    + " is out of range; allowed 1ms..1d");
        }
        if (burst < 1 || burst > MAX_LIMIT) {
            throw new IllegalArgumentException("burst: " + burst + " is out of range; allowed 1.." + MAX_LIMIT);
        }
        if (algorithm != RateLimitAlgorithm.TOKEN_BUCKET && algorithm != RateLimitAlgorithm.GCRA && burst != limit) {
            throw new IllegalArgumentException("burst: " + burst + " is not allowed for " + algorithm.code()
                    + "; the window algorithms' burst is their limit (" + limit + ")");
        }
    }

    /** A policy of {@code limit} per {@code window} whose burst equals its limit. */
    public static RateLimitPolicy of(String name, RateLimitAlgorithm algorithm, long limit, Duration window) {
        return new RateLimitPolicy(name, algorithm, limit, window, limit);
    }

    /**
     * The time one permit takes to come back at the sustained rate, {@code window / limit},
     * rounded up to whole nanoseconds (so the rate is never above the limit, and below it by less
     * than one part in the interval's nanoseconds).
     */
    public long emissionIntervalNanos() {
        long w = window.toNanos();
        return (w + limit - 1) / limit;
    }

    /** {@code "api";q=100;w=60}: the {@code RateLimit-Policy} header value (window rounded up to seconds). */
    public String headerValue() {
        return '"' + name + "\";q=" + limit + ";w=" + ceilSeconds(window.toNanos());
    }

    static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
    }

    @Override
    public String toString() {
        return name + ": " + limit + " per " + Durations.format(window) + " (" + algorithm.code()
                + (burst != limit ? ", burst " + burst : "") + ")";
    }
}
