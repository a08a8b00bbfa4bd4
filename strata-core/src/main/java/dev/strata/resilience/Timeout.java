package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.call.Durations;
import dev.strata.call.Require;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bound on one attempt.
 *
 * <p><b>Synchronous</b> ({@link #call(Callable)}): the attempt runs on a new virtual thread while
 * the caller waits; when the bound passes, the attempt's thread is interrupted and the caller
 * returns at once with an {@link AttemptTimeoutException}. No platform thread is created per call,
 * and a virtual thread blocked in socket I/O has its socket closed by the interrupt, so the
 * attempt ends and releases what it holds. {@link #inFlight()} counts attempts whose thread has
 * not ended yet, including abandoned ones.
 *
 * <p><b>Asynchronous</b> ({@link #callAsync(Supplier)}): the returned future fails with an
 * {@link AttemptTimeoutException} at the bound and the attempt's future is cancelled; one shared
 * timer thread serves every timeout in the process.
 *
 * <p>The bound is the smaller of the timeout and the time left on {@link Deadline#current()};
 * when the deadline is the smaller one the failure is a {@link DeadlineExceededException}.
 * Timeouts bound real work, so they are measured on the system clock.
 */
public final class Timeout {

    /** Largest allowed timeout. */
    public static final Duration MAX = Duration.ofDays(1);

    private final long timeoutNanos;
    private final AtomicInteger inFlight = new AtomicInteger();

    private Timeout(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * A timeout of the given length.
     *
     * @throws IllegalArgumentException when not between 1ms and 1 day
     */
    public static Timeout of(Duration timeout) {
        return new Timeout(Require.between("timeout", timeout, Duration.ofMillis(1), MAX).toNanos());
    }

    public Duration duration() {
        return Duration.ofNanos(timeoutNanos);
    }

    long nanos() {
        return timeoutNanos;
    }

    /** Attempts started by this timeout whose thread is still running (abandoned ones included). */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Runs {@code attempt} bounded by this timeout and the current deadline.
     *
     * @throws AttemptTimeoutException when the timeout passed first
     * @throws DeadlineExceededException when the deadline passed first
     * @throws Exception whatever the attempt threw
     */
    public <T> T call(Callable<T> attempt) throws Exception {
        return call(null, Deadline.current(), CallContext.current(), attempt);
    }

    <T> T call(String dependency, Deadline deadline, CallContext context, Callable<T> attempt) throws Exception {
        long deadlineLeft = deadline == null ? Long.MAX_VALUE : deadline.remainingNanos();
        boolean deadlineBinds = deadlineLeft < timeoutNanos;
        if (deadlineBinds && deadlineLeft == 0) {
            throw new DeadlineExceededException(dependency, "no time left for an attempt",
                    "deadline " + Durations.format(deadline.budget()) + " already passed", null);
        }
        return bounded(dependency, deadline, context, attempt, deadlineBinds ? deadlineLeft : timeoutNanos,
                deadlineBinds, inFlight);
    }

    /**
     * Runs {@code attempt} on a virtual thread and waits at most {@code boundNanos}.
     *
     * @param byDeadline whether the bound is the deadline's (a timeout then means the deadline passed)
     */
    static <T> T bounded(String dependency, Deadline deadline, CallContext context, Callable<T> attempt,
                         long boundNanos, boolean byDeadline, AtomicInteger inFlight) throws Exception {
        BoundedAttempt<T> running = BoundedAttempt.start(attempt, deadline, context, inFlight);
        if (!running.await(boundNanos) && running.abandon()) {
            if (byDeadline) {
                throw new DeadlineExceededException(dependency, "attempt cut at the deadline",
                        "the deadline passed during an attempt (" + Durations.format(boundNanos) + " left when it began)", null);
            }
            throw new AttemptTimeoutException(dependency, boundNanos);
        }
        return running.result();
    }

    /**
     * Runs an asynchronous attempt bounded by this timeout and the current deadline. The returned
     * future completes with the attempt's outcome, or fails with {@link AttemptTimeoutException}
     * (or {@link DeadlineExceededException}) at the bound, cancelling the attempt's future.
     */
    public <T> CompletableFuture<T> callAsync(Supplier<? extends CompletionStage<T>> attempt) {
        Deadline deadline = Deadline.current();
        long left = deadline == null ? Long.MAX_VALUE : deadline.remainingNanos();
        return boundedAsync(null, attempt, Math.min(left, timeoutNanos), left < timeoutNanos);
    }

    static <T> CompletableFuture<T> boundedAsync(String dependency, Supplier<? extends CompletionStage<T>> attempt,
                                                 long boundNanos, boolean byDeadline) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletionStage<T> stage;
        try {
            stage = attempt.get();
        } catch (RuntimeException | Error e) {
            result.completeExceptionally(e);
            return result;
        }
        CompletableFuture<T> source = stage.toCompletableFuture();
        ScheduledFuture<?> timer = Scheduler.schedule(() -> {
            RuntimeException timeout = byDeadline
                    ? new DeadlineExceededException(dependency, "attempt cut at the deadline",
                            "the deadline passed during an attempt", null)
                    : new AttemptTimeoutException(dependency, boundNanos);
            if (result.completeExceptionally(timeout)) {
                source.cancel(true);
            }
        }, boundNanos);
        source.whenComplete((value, failure) -> {
            timer.cancel(false);
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
        });
        return result;
    }

    @Override
    public String toString() {
        return "Timeout[" + Durations.format(timeoutNanos) + "]";
    }
}
