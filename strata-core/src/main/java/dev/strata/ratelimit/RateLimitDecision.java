package dev.strata.ratelimit;

import java.time.Duration;

/**
 * The full answer of a {@link RateLimiter}: admitted or not, the quota left, the limit, the time
 * until a permit is available again (for {@code Retry-After}) and the time until the quota is
 * whole again (for the {@code RateLimit} header's {@code t}).
 *
 * <p>A decision is a small mutable holder so that hot paths can reuse one per thread or per
 * request and decide without allocating ({@link RateLimiter#tryAcquire(String, int, RateLimitDecision)});
 * {@link RateLimiter#decide(String)} returns a fresh one for code that prefers values. It is not
 * thread-safe: one decision belongs to one caller at a time. {@link #copy()} keeps a snapshot.
 *
 * <p>Times are measured from the clock reading the limiter decided with.
 */
public final class RateLimitDecision {

    private boolean allowed;
    private long limit;
    private long remaining;
    private long retryAfterNanos;
    private long resetNanos;
    private RateLimitPolicy policy;

    /** An empty decision (not allowed, all zero) to be filled by a limiter. */
    public RateLimitDecision() {
    }

    /**
     * Fills this decision; called by limiter implementations.
     *
     * @param allowed whether the permits were granted
     * @param remaining permits still available now after this decision, never negative
     * @param retryAfterNanos nanoseconds until the requested permits could be granted (0 when
     *                        granted and more are available now)
     * @param resetNanos nanoseconds until the key's quota is whole again
     * @param policy the policy decided under
     * @return this
     */
    public RateLimitDecision set(boolean allowed, long remaining, long retryAfterNanos, long resetNanos,
                                 RateLimitPolicy policy) {
        this.allowed = allowed;
        this.limit = policy.limit();
        this.remaining = Math.max(0L, remaining);
        this.retryAfterNanos = Math.max(0L, retryAfterNanos);
        this.resetNanos = Math.max(0L, resetNanos);
        this.policy = policy;
        return this;
    }

    /** Whether the permits were granted. */
    public boolean allowed() {
        return allowed;
    }

    /** The policy's limit (quota per window). */
    public long limit() {
        return limit;
    }

    /** Permits still available right now after this decision. */
    public long remaining() {
        return remaining;
    }

    /**
     * Nanoseconds until the permits asked for could be granted: for a refusal, how long to wait
     * before trying again; for a grant that used the last permit, when the next one comes.
     */
    public long retryAfterNanos() {
        return retryAfterNanos;
    }

    /** {@link #retryAfterNanos()} as a duration. */
    public Duration retryAfter() {
        return Duration.ofNanos(retryAfterNanos);
    }

    /**
     * Whole seconds for a {@code Retry-After} header: rounded up, and at least 1 for a refusal so
     * a client never retries at once.
     */
    public long retryAfterSeconds() {
        long s = RateLimitPolicy.ceilSeconds(retryAfterNanos);
        return allowed ? s : Math.max(1L, s);
    }

    /** Nanoseconds until the key's quota is whole again. */
    public long resetNanos() {
        return resetNanos;
    }

    /** The policy this decision was made under, or null before the decision was filled. */
    public RateLimitPolicy policy() {
        return policy;
    }

    /** {@code "api";r=42;t=17}: the IETF draft {@code RateLimit} header value (t rounded up to seconds). */
    public String rateLimitHeader() {
        String name = policy == null ? "default" : policy.name();
        return '"' + name + "\";r=" + remaining + ";t=" + RateLimitPolicy.ceilSeconds(resetNanos);
    }

    /** A new decision with the same contents, to keep beyond the next reuse of this one. */
    public RateLimitDecision copy() {
        RateLimitDecision c = new RateLimitDecision();
        c.allowed = allowed;
        c.limit = limit;
        c.remaining = remaining;
        c.retryAfterNanos = retryAfterNanos;
        c.resetNanos = resetNanos;
        c.policy = policy;
        return c;
    }

    @Override
    public String toString() {
        return (allowed ? "allowed" : "denied") + " [remaining " + remaining + "/" + limit
                + ", retry after " + dev.strata.internal.Durations.format(retryAfterNanos)
                + ", reset in " + dev.strata.internal.Durations.format(resetNanos) + "]";
    }
}
