package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bound on one attempt.
 *
 * <p><b>Synchronous</b> ({@link #call(Callable)}): the attempt runs on a new virtual thread
 * while the caller, platform or virtual, waits; when the bound passes, the attempt's thread is
 * interrupted and the caller returns at once with an {@link AttemptTimeoutException}, whatever
 * the attempt does, even if it ignores the interrupt. No platform thread is created per call. An
 * interrupted attempt that reacts (blocking socket I/O on a virtual thread closes the socket,
 * sleeps and interruptible waits throw) ends and releases what it holds; one that ignores the
 * interrupt keeps running until it ends by itself. {@link #inFlight()} counts attempts that have
 * not ended yet, including abandoned ones.
 *
 * <p><b>Asynchronous</b> ({@link #callAsync(Supplier)}): the returned future fails with an
 * {@link AttemptTimeoutException} at the bound and the attempt's future is cancelled. One shared
 * timer thread times every timeout in the process and hands each one that fires to a new virtual
 * thread, so callbacks on the returned future never run on the timer.
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
                deadlineBinds, inFlight, 0, null);
    }

    /**
     * Runs {@code attempt} on a virtual thread and waits at most {@code boundNanos}, whatever
     * kind of thread the caller is: only a hand-off releases the caller at the bound when the
     * attempt ignores interrupts (a CPU loop, {@code Lock.lock()}).
     *
     * @param byDeadline whether the bound is the deadline's (a timeout then means the deadline passed)
     * @param onExpiry told (with {@code attemptNumber}) when the bound fires; may be null
     */
    static <T> T bounded(String dependency, Deadline deadline, CallContext context, Callable<T> attempt,
                         long boundNanos, boolean byDeadline, AtomicInteger inFlight, int attemptNumber,
                         Expiry onExpiry) throws Exception {
        BoundedAttempt<T> running = BoundedAttempt.start(attempt, deadline, context, inFlight);
        if (!running.await(boundNanos) && running.abandon()) {
            if (onExpiry != null) {
                onExpiry.fired(attemptNumber, boundNanos, byDeadline);
            }
            throw exceeded(dependency, boundNanos, byDeadline);
        }
        return running.result();
    }

    /**
     * Told when a bound set by this class fires, so a pipeline can report its own timeouts
     * without mistaking a nested call's timeout exception for one.
     */
    @FunctionalInterface
    interface Expiry {
        void fired(int attemptNumber, long boundNanos, boolean byDeadline);
    }

    private static RuntimeException exceeded(String dependency, long boundNanos, boolean byDeadline) {
        if (byDeadline) {
            return new DeadlineExceededException(dependency, "attempt cut at the deadline",
                    "the deadline passed during an attempt (" + Durations.format(boundNanos) + " left when it began)", null);
        }
        return new AttemptTimeoutException(dependency, boundNanos);
    }

    /**
     * Runs an asynchronous attempt bounded by this timeout and the current deadline. The returned
     * future completes with the attempt's outcome, or fails with {@link AttemptTimeoutException}
     * (or {@link DeadlineExceededException}) at the bound, cancelling the attempt's future.
     */
    public <T> CompletableFuture<T> callAsync(Supplier<? extends CompletionStage<T>> attempt) {
        Deadline deadline = Deadline.current();
        long left = deadline == null ? Long.MAX_VALUE : deadline.remainingNanos();
        return boundedAsync(null, attempt, Math.min(left, timeoutNanos), left < timeoutNanos, 0, null);
    }

    static <T> CompletableFuture<T> boundedAsync(String dependency, Supplier<? extends CompletionStage<T>> attempt,
                                                 long boundNanos, boolean byDeadline, int attemptNumber,
                                                 Expiry onExpiry) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletionStage<T> stage;
        try {
            stage = attempt.get();
        } catch (RuntimeException | Error e) {
            result.completeExceptionally(e);
            return result;
        }
        CompletableFuture<T> source = stage.toCompletableFuture();
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> timer = Scheduler.schedule(() -> {
            if (!source.isDone() && fired.compareAndSet(false, true)) {
                // Cancel first, so whoever sees the timeout also sees the attempt cancelled.
                source.cancel(true);
                if (onExpiry != null) {
                    onExpiry.fired(attemptNumber, boundNanos, byDeadline);
                }
                result.completeExceptionally(byDeadline
                        ? new DeadlineExceededException(dependency, "attempt cut at the deadline",
                                "the deadline passed during an attempt", null)
                        : new AttemptTimeoutException(dependency, boundNanos));
            }
        }, boundNanos);
        source.whenComplete((value, failure) -> {
            timer.cancel(false);
            if (fired.get()) {
                return; // the timeout is the outcome, not the cancellation it caused
            }
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
