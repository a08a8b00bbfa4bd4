package dev.strata.resilience;

import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import java.time.Duration;

/**
 * The one rule for "retries versus deadline", shared by {@link Pipeline.Builder#build()} (and so
 * by the config loader) and by the static audit in strata-doctor, so a configuration the runtime
 * accepts is never an audit error for the same reason, and the other way round.
 *
 * <p>The first attempt always runs. Attempt {@code k} (2..maxAttempts) can start only after the
 * {@code k-1} attempts before it and the backoffs between them:
 * <ul>
 *   <li>{@link #earliestStartNanos(int) earliest}: every earlier attempt used its whole timeout
 *       and every backoff was as short as the jitter can make it. When that is not below the
 *       deadline, the attempt can <em>never</em> start: the configuration is invalid.</li>
 *   <li>{@link #latestStartNanos(int) latest}: every earlier attempt used its whole timeout and
 *       every backoff was at its largest. When that is not below the deadline, the attempt runs
 *       only when earlier attempts fail faster than their timeout (a warning, not an error).</li>
 * </ul>
 * A retry without a timeout counts zero per attempt: the deadline bounds it.
 */
public final class AttemptBudget {

    private final Retry retry;
    private final long timeoutNanos;
    private final long deadlineNanos;

    private AttemptBudget(Retry retry, long timeoutNanos, long deadlineNanos) {
        this.retry = retry;
        this.timeoutNanos = timeoutNanos;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * The budget of {@code retry}'s attempts under {@code deadline}.
     *
     * @param timeout per-attempt timeout, or null for none
     * @param deadline the whole call's deadline, positive
     */
    public static AttemptBudget of(Retry retry, Duration timeout, Duration deadline) {
        Require.nonNull("retry", retry);
        Require.positive("deadline", deadline);
        return new AttemptBudget(retry, timeout == null ? 0L : timeout.toNanos(), deadline.toNanos());
    }

    /** When attempt {@code attempt} starts at the earliest: {@code (attempt-1) x timeout + minimum backoffs}. */
    public long earliestStartNanos(int attempt) {
        check(attempt);
        return (attempt - 1) * timeoutNanos + retry.minimumBackoffBeforeAttempt(attempt);
    }

    /** When attempt {@code attempt} starts at the latest: {@code (attempt-1) x timeout + largest backoffs}. */
    public long latestStartNanos(int attempt) {
        check(attempt);
        long backoff = 0;
        for (int r = 1; r < attempt; r++) {
            backoff += retry.backoff().maximumNanos(r, retry.jitter());
        }
        return (attempt - 1) * timeoutNanos + backoff;
    }

    /** The first attempt that can never start inside the deadline (all later ones cannot either); 0 when all can. */
    public int firstAttemptThatCannotStart() {
        for (int k = 2; k <= retry.maxAttempts(); k++) {
            if (earliestStartNanos(k) >= deadlineNanos) {
                return k;
            }
        }
        return 0;
    }

    /** The first attempt that does not start when earlier attempts time out and backoffs are at their largest; 0 when none. */
    public int firstAttemptThatMayNotStart() {
        for (int k = 2; k <= retry.maxAttempts(); k++) {
            if (latestStartNanos(k) >= deadlineNanos) {
                return k;
            }
        }
        return 0;
    }

    /**
     * Throws when an attempt can never start, with the numbers of the last attempt.
     *
     * @throws IllegalArgumentException naming the deadline, the attempts and the rule
     */
    public void requireEveryAttemptCanStart() {
        if (firstAttemptThatCannotStart() == 0) {
            return;
        }
        int attempts = retry.maxAttempts();
        long backoff = retry.minimumBackoffBeforeAttempt(attempts);
        long needed = earliestStartNanos(attempts);
        throw new IllegalArgumentException("deadline: " + Durations.format(deadlineNanos) + " cannot fit " + attempts
                + " attempts x " + (timeoutNanos == 0 ? "0s" : Durations.format(timeoutNanos)) + " timeout + "
                + Durations.format(backoff) + " minimum backoff: attempt " + attempts + " could start only after "
                + Durations.format(needed) + " (" + (attempts - 1) + " x " + Durations.format(timeoutNanos) + " + "
                + Durations.format(backoff) + "); allowed: (maxAttempts - 1) x timeout + minimum backoff < deadline");
    }

    private void check(int attempt) {
        if (attempt < 1 || attempt > retry.maxAttempts()) {
            throw new IllegalArgumentException("attempt: " + attempt + " is out of range; allowed 1.." + retry.maxAttempts());
        }
    }
}
