package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * When and how often a failed attempt is repeated. This is configuration only (immutable and
 * validated on {@link Builder#build()}); a {@link Pipeline} runs the loop, because a retry is only
 * safe together with the deadline, the breaker and the budget around it.
 *
 * <p>What is retried: by default every fault whose kind is {@linkplain Fault#retryable()
 * retryable}. {@link Builder#retryOn(Predicate)} replaces that decision, but a fault of the
 * {@link Layer#APPLICATION} layer (client error, validation, authentication, unclassified) is
 * never retried whatever the predicate says: the same request fails the same way. To retry an
 * exception of your own, teach the pipeline's classifier what kind it is, or name it with
 * {@link Builder#retryOnException(Predicate)}.
 *
 * <p>{@link Builder#retryOnException(Predicate)} decides on the exception the attempt ended with
 * instead of its fault. Because it names exception types explicitly, it may opt in a failure the
 * classifier could only call {@link FaultKind#UNCLASSIFIED} (an exception of your own, which is
 * not known to be a client error); it can never opt in a classified client error, validation or
 * authentication fault (rule 9: the same request fails the same way). It narrows as well: what
 * it rejects is not retried, including Strata's own {@link AttemptTimeoutException}.
 *
 * <p>What the loop guarantees (see {@link Pipeline}): at most {@link #maxAttempts()} attempts, no
 * retry after {@link #maxDuration()}, no backoff that would end past the deadline, a retry-after
 * hint from the dependency is never undercut (and, when it asks for more than
 * {@link #maxRetryAfter()}, the call gives up at once instead of waiting), a non-idempotent call without an idempotency key is
 * attempted once, and the circuit breaker is asked before every new attempt.
 */
public final class Retry {

    /** Allowed range of {@link Builder#maxAttempts(int)}. */
    public static final int MAX_ATTEMPTS_LIMIT = 100;

    /** Default of {@link Builder#maxRetryAfter(Duration)}. */
    public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(60);

    private static final Backoff DEFAULT_BACKOFF =
            Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10));

    private final int maxAttempts;
    private final long maxDurationNanos;
    private final Backoff backoff;
    private final Jitter jitter;
    private final Predicate<? super Fault> retryOn;
    private final Predicate<? super Throwable> retryOnException;
    private final Predicate<Object> retryOnResult;
    private final Duration maxRetryAfter;

    private Retry(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.maxDurationNanos = b.maxDuration == null ? 0L : b.maxDuration.toNanos();
        this.backoff = b.backoff;
        this.jitter = b.jitter;
        this.retryOn = b.retryOn;
        this.retryOnException = b.retryOnException;
        this.retryOnResult = b.retryOnResult;
        this.maxRetryAfter = b.maxRetryAfter;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A retry with every default: 3 attempts, exponential backoff 100ms x2 up to 10s, full jitter. */
    public static Retry ofDefaults() {
        return builder().build();
    }

    /** Total attempts including the first; 1 means no retry. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** How long after the first attempt started a new attempt may still begin; null when unlimited. */
    public Duration maxDuration() {
        return maxDurationNanos == 0 ? null : Duration.ofNanos(maxDurationNanos);
    }

    long maxDurationNanos() {
        return maxDurationNanos;
    }

    /**
     * The longest retry-after hint the retry honours (default 60 s). A dependency that asks for
     * more ends the call at once with a {@link RetriesExhaustedException} that says so: waiting a
     * day would hold the caller, its bulkhead slot and its breaker permit for that day.
     */
    public Duration maxRetryAfter() {
        return maxRetryAfter;
    }

    public Backoff backoff() {
        return backoff;
    }

    public Jitter jitter() {
        return jitter;
    }

    /**
     * Whether a failure with this fault may be retried, before idempotency, attempts, deadline,
     * budget and breaker are considered. Never true for an {@link Layer#APPLICATION} fault.
     */
    public boolean isRetryable(Fault fault) {
        if (fault.layer() == Layer.APPLICATION) {
            return false;
        }
        return retryOn == null ? fault.retryable() : retryOn.test(fault);
    }

    /**
     * Whether this failure may be retried, before idempotency, attempts, deadline, budget and
     * breaker are considered. With {@link Builder#retryOnException(Predicate)} its predicate
     * decides for every fault but a classified {@link Layer#APPLICATION} one (an
     * {@link FaultKind#UNCLASSIFIED} failure may be opted in); otherwise as {@link #isRetryable(Fault)}.
     */
    public boolean isRetryable(Fault fault, Throwable failure) {
        if (retryOnException == null || failure == null) {
            return isRetryable(fault);
        }
        if (fault.layer() == Layer.APPLICATION && fault.kind() != FaultKind.UNCLASSIFIED) {
            return false;
        }
        return retryOnException.test(failure);
    }

    /** Whether a successful result should nevertheless be retried (e.g. an empty poll). */
    public boolean isRetryableResult(Object result) {
        return retryOnResult != null && retryOnResult.test(result);
    }

    /** Minimum total backoff before attempt {@code attempt} (sum of the minimum delays of retries 1..attempt-1). */
    long minimumBackoffBeforeAttempt(int attempt) {
        long total = 0;
        for (int retry = 1; retry < attempt; retry++) {
            total += backoff.minimumNanos(retry, jitter);
        }
        return total;
    }

    @Override
    public String toString() {
        return "Retry[" + maxAttempts + " attempts, " + backoff
                + (backoff instanceof Backoff.Decorrelated ? "" : ", jitter " + jitter)
                + (maxDurationNanos == 0 ? "" : ", max " + Durations.format(maxDurationNanos)) + "]";
    }

    /** Builds a {@link Retry}; every setter validates at {@link #build()} time at the latest. */
    public static final class Builder {
        private int maxAttempts = 3;
        private Duration maxDuration;
        private Backoff backoff = DEFAULT_BACKOFF;
        private Jitter jitter = Jitter.FULL;
        private Predicate<? super Fault> retryOn;
        private Predicate<? super Throwable> retryOnException;
        private Predicate<Object> retryOnResult;
        private Duration maxRetryAfter = DEFAULT_MAX_RETRY_AFTER;

        private Builder() {
        }

        /** Total attempts including the first, 1..100; default 3. */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Require.between("maxAttempts", maxAttempts, 1, MAX_ATTEMPTS_LIMIT);
            return this;
        }

        /** No new attempt starts later than this after the first one started; default unlimited (the deadline still applies). */
        public Builder maxDuration(Duration maxDuration) {
            this.maxDuration = Require.between("maxDuration", maxDuration, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        /** The backoff between attempts; default exponential 100ms x2 up to 10s. */
        /** The longest retry-after hint honoured, 1ms..1 day (default 60 s); see {@link Retry#maxRetryAfter()}. */
        public Builder maxRetryAfter(Duration maxRetryAfter) {
            this.maxRetryAfter = Require.between("maxRetryAfter", maxRetryAfter, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = Require.nonNull("backoff", backoff);
            return this;
        }

        /** How the backoff is randomised; default {@link Jitter#FULL}. */
        public Builder jitter(Jitter jitter) {
            this.jitter = Require.nonNull("jitter", jitter);
            return this;
        }

        /**
         * Which faults to retry, replacing the taxonomy's {@link Fault#retryable()}. Faults of the
         * {@link Layer#APPLICATION} layer are never retried regardless.
         */
        public Builder retryOn(Predicate<? super Fault> retryOn) {
            this.retryOn = Require.nonNull("retryOn", retryOn);
            return this;
        }

        /**
         * Which exceptions to retry, deciding on the exception an attempt ended with instead of
         * its fault kind; it may opt in exceptions the classifier calls unclassified, never a
         * client error, validation or authentication fault (see the class documentation). Not
         * combinable with {@link #retryOn(Predicate)}.
         */
        public Builder retryOnException(Predicate<? super Throwable> retryOnException) {
            this.retryOnException = Require.nonNull("retryOnException", retryOnException);
            return this;
        }

        /** Retries a successful attempt whose result matches; when attempts run out the last result is returned. */
        @SuppressWarnings("unchecked")
        public Builder retryOnResult(Predicate<?> retryOnResult) {
            this.retryOnResult = (Predicate<Object>) Require.nonNull("retryOnResult", retryOnResult);
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when both retryOn and retryOnException are set
         */
        public Retry build() {
            Objects.requireNonNull(backoff);
            if (retryOn != null && retryOnException != null) {
                throw new IllegalArgumentException("retryOnException: cannot be combined with retryOn;"
                        + " set one of them (a fault predicate or an exception predicate)");
            }
            return new Retry(this);
        }
    }
}
