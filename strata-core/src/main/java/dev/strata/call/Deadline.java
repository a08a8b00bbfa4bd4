package dev.strata.call;

import dev.strata.call.internal.CallState;
import dev.strata.internal.Durations;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * One absolute time budget for a logical call. Every wait on every layer (DNS, TCP connect, TLS,
 * pool acquisition, the call itself, each retry backoff) asks the current deadline for the time
 * left and never waits past it.
 *
 * <p>A deadline is made current for a block of code with {@link #call(Callable)} or
 * {@link #run(Runnable)}; nested code reads it with {@link #current()}. Nesting only ever
 * shrinks the budget: a nested deadline that ends later than the enclosing one is replaced by
 * the enclosing one. The current deadline is held per thread; code that hops threads passes
 * the {@code Deadline} along explicitly and re-enters it there.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class Deadline implements Comparable<Deadline> {

    private final Clock clock;
    private final long deadlineNanos;
    private final long budgetNanos;

    private Deadline(Clock clock, long deadlineNanos, long budgetNanos) {
        this.clock = clock;
        this.deadlineNanos = deadlineNanos;
        this.budgetNanos = budgetNanos;
    }

    /** A deadline {@code budget} from now on the system clock. */
    public static Deadline after(Duration budget) {
        return after(budget, Clock.system());
    }

    /**
     * A deadline {@code budget} from now on the given clock.
     *
     * @throws IllegalArgumentException when the budget is negative
     */
    public static Deadline after(Duration budget, Clock clock) {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(clock, "clock");
        if (budget.isNegative()) {
            throw new IllegalArgumentException("budget: " + Durations.format(budget) + " is negative; allowed >= 0");
        }
        long nanos = saturatedNanos(budget);
        long now = clock.nanoTime();
        long end = now + nanos;
        if (end < now) { // overflow: a budget of centuries
            end = Long.MAX_VALUE;
        }
        return new Deadline(clock, end, nanos);
    }

    /** The deadline in force on this thread, or null when none is. */
    public static Deadline current() {
        return CallState.current().deadline;
    }

    /**
     * Nanoseconds left on this thread's current deadline, or {@code fallbackNanos} when no
     * deadline is in force. Never negative.
     */
    public static long remainingNanosOr(long fallbackNanos) {
        Deadline current = CallState.current().deadline;
        return current == null ? fallbackNanos : Math.min(fallbackNanos, current.remainingNanos());
    }

    /** The earlier of this deadline and the one already in force on this thread. */
    public Deadline withinCurrent() {
        return within(CallState.current().deadline);
    }

    /** The earlier of this deadline and {@code outer} (which may be null). */
    private Deadline within(Deadline outer) {
        return outer == null || outer.deadlineNanos - deadlineNanos > 0 ? this : outer;
    }

    /**
     * Runs {@code body} with this deadline (or the earlier enclosing one) current, restoring the
     * previous deadline afterwards, whatever happens.
     */
    public <T> T call(Callable<T> body) throws Exception {
        CallState state = CallState.current();
        Deadline previous = state.deadline;
        state.deadline = within(previous);
        try {
            return body.call();
        } finally {
            state.deadline = previous; // the body ran on this thread, so the holder is still this thread's
        }
    }

    /** Like {@link #call(Callable)} for code that returns nothing and throws no checked exception. */
    public void run(Runnable body) {
        CallState state = CallState.current();
        Deadline previous = state.deadline;
        state.deadline = within(previous);
        try {
            body.run();
        } finally {
            state.deadline = previous;
        }
    }

    /**
     * Makes this deadline (or the earlier enclosing one) current until the returned scope is
     * closed. For code that cannot be wrapped in a lambda; always use try-with-resources.
     */
    public Scope enter() {
        CallState state = CallState.current();
        Deadline previous = state.deadline;
        state.deadline = within(previous);
        return () -> CallState.current().deadline = previous; // restored on the thread that closes, as a thread-local would be
    }

    /** A block in which a deadline is current; closing it restores the previous one. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Nanoseconds left, never negative. */
    public long remainingNanos() {
        long left = deadlineNanos - clock.nanoTime();
        return Math.max(0L, left);
    }

    /** Time left, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    /** Whether no time is left. */
    public boolean isExpired() {
        return deadlineNanos - clock.nanoTime() <= 0;
    }

    /** Whether waiting {@code nanos} from now would end at or before this deadline. */
    public boolean fits(long nanos) {
        return nanos <= remainingNanos();
    }

    /** The budget this deadline was created with. */
    public Duration budget() {
        return Duration.ofNanos(budgetNanos);
    }

    /** The clock this deadline reads. */
    public Clock clock() {
        return clock;
    }

    /** The earlier of the two deadlines (both must use the same clock to be comparable). */
    public Deadline earlier(Deadline other) {
        if (other == null) {
            return this;
        }
        return compareTo(other) <= 0 ? this : other;
    }

    @Override
    public int compareTo(Deadline other) {
        return Long.compare(deadlineNanos - other.deadlineNanos, 0L);
    }

    @Override
    public String toString() {
        return "Deadline[left " + Durations.format(remainingNanos()) + " of " + Durations.format(budgetNanos) + "]";
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
