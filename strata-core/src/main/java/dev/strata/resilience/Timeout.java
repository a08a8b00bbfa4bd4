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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A bound on one attempt.
 *
 * <p><b>Synchronous</b> ({@link #call(Callable)}), from a platform thread: the attempt runs on a
 * new virtual thread while the caller waits; when the bound passes, the attempt's thread is
 * interrupted and the caller returns at once with an {@link AttemptTimeoutException}, whatever the
 * attempt does. From a virtual thread: the attempt runs on the caller's own thread and the shared
 * timer interrupts it at the bound; the caller returns as soon as the attempt reacts, which
 * blocking socket I/O, sleeps and locks on a virtual thread do at once (an interrupted socket is
 * closed). Either way no platform thread is created per call, and the interrupted attempt ends
 * and releases what it holds. {@link #inFlight()} counts attempts that have not ended yet,
 * including abandoned ones.
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
        if (Thread.currentThread().isVirtual()) {
            return onCaller(dependency, attempt, boundNanos, byDeadline, inFlight);
        }
        BoundedAttempt<T> running = BoundedAttempt.start(attempt, deadline, context, inFlight);
        if (!running.await(boundNanos) && running.abandon()) {
            throw exceeded(dependency, boundNanos, byDeadline);
        }
        return running.result();
    }

    /**
     * A virtual caller runs the attempt itself and the shared timer interrupts it at the bound:
     * no thread hop, and blocking socket I/O and sleeps on a virtual thread end at once when
     * interrupted (the socket is closed), so the attempt releases what it holds.
     */
    private static <T> T onCaller(String dependency, Callable<T> attempt, long boundNanos, boolean byDeadline,
                                  AtomicInteger inFlight) throws Exception {
        CallerInterrupt guard = new CallerInterrupt(Thread.currentThread());
        inFlight.incrementAndGet();
        ScheduledFuture<?> timer = Scheduler.schedule(guard, boundNanos);
        T value = null;
        Throwable failure = null;
        try {
            value = attempt.call();
        } catch (Throwable t) {
            failure = t;
        } finally {
            timer.cancel(false);
            inFlight.decrementAndGet();
        }
        if (!guard.finish()) {
            RuntimeException timedOut = exceeded(dependency, boundNanos, byDeadline);
            if (failure != null && !(failure instanceof InterruptedException)) {
                timedOut.addSuppressed(failure); // how the interrupted attempt ended, e.g. its socket closed
            }
            throw timedOut;
        }
        if (failure == null) {
            return value;
        }
        if (failure instanceof Exception e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("attempt threw a raw Throwable", failure);
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
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> timer = Scheduler.schedule(() -> {
            if (!source.isDone() && fired.compareAndSet(false, true)) {
                // Cancel first, so whoever sees the timeout also sees the attempt cancelled.
                source.cancel(true);
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
