package dev.strata.ratelimit;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.internal.Durations;
import java.time.Duration;

/**
 * Thrown instead of running a call when a {@link RateLimiter} refused it: kind
 * {@link FaultKind#RATE_LIMITED} ({@code RESOURCE/rate-limited}), with the time until a permit is
 * available as the fault's {@link Fault#retryAfter() retry-after}. The call was not attempted.
 */
public final class RateLimitedException extends StrataException {

    private final String limiter;
    private final long limit;

    /**
     * @param dependency the dependency the call was for (may be null)
     * @param limiter the refusing limiter's name
     * @param limit the limiter's limit per window
     * @param retryAfterNanos nanoseconds until a permit is expected
     */
    public RateLimitedException(String dependency, String limiter, long limit, long retryAfterNanos) {
        super(new Fault(FaultKind.RATE_LIMITED, "limiter " + limiter, Duration.ofNanos(Math.max(0L, retryAfterNanos))),
                dependency, null, null);
        this.limiter = limiter;
        this.limit = limit;
    }

    /** No stack trace: refusals come at the caller's full rate under overload; the message says all. */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    /** The refusing limiter's name. */
    public String limiter() {
        return limiter;
    }

    /** The refusing limiter's limit per window. */
    public long limit() {
        return limit;
    }

    @Override
    public String getMessage() {
        String prefix = dependency() == null ? "" : "[" + dependency() + "] ";
        return prefix + fault() + ": limit " + limit + " reached; a permit is expected in "
                + Durations.format(retryAfter());
    }
}
