package dev.strata.jdbc;

import dev.strata.call.Deadline;
import dev.strata.internal.AttemptCancellation;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Cancels a running statement when its time is up, instead of leaving the thread blocked in a
 * read: at the call's {@link Deadline} (to the millisecond; JDBC's query timeout counts whole
 * seconds), and at the timeout of the bounded attempt it runs in, which then cancels the
 * statement instead of interrupting the thread (that would close the socket and cost the
 * connection). Each {@link #arm} is paired with a {@link #disarm} when the execution ends.
 */
final class StatementCancellation {

    private StatementCancellation() {
    }

    /** One running execution: what to undo when it ends. */
    private record Execution(AttemptCancellation attempt, Runnable cancel, ScheduledFuture<?> deadlineTimer) {
    }

    /**
     * Before the driver statement {@code raw} runs under {@code deadline} (null when none):
     * schedules and registers its cancellation. Returns the token for {@link #disarm}, or null
     * when there is nothing to arm.
     *
     * @throws SQLTimeoutException (SQLState 57014) when the deadline passed or the attempt was
     *     abandoned before the statement ran
     */
    static Object arm(Statement raw, Deadline deadline) throws SQLException {
        AttemptCancellation attempt = AttemptCancellation.current();
        if (attempt == null && deadline == null) {
            return null; // the common case: nothing to arm
        }
        Runnable cancel = () -> cancelQuietly(raw);
        ScheduledFuture<?> timer = null;
        if (deadline != null) {
            long left = deadline.remainingNanos();
            if (left <= 0) {
                throw new SQLTimeoutException("the call's deadline passed before the statement ran", "57014");
            }
            timer = Cancellations.SCHEDULER.schedule(() -> Thread.ofVirtual().start(cancel), left, TimeUnit.NANOSECONDS);
        }
        if (attempt != null && !attempt.register(cancel)) {
            if (timer != null) {
                timer.cancel(false);
            }
            throw new SQLTimeoutException("the attempt was abandoned at its timeout before the statement ran", "57014");
        }
        return new Execution(attempt, cancel, timer);
    }

    /** The execution {@link #arm} returned {@code execution} for has ended: nothing is to be cancelled any more. */
    static void disarm(Object execution) {
        if (execution instanceof Execution running) {
            if (running.deadlineTimer() != null) {
                running.deadlineTimer().cancel(false);
            }
            if (running.attempt() != null) {
                running.attempt().unregister(running.cancel());
            }
        }
    }

    private static void cancelQuietly(Statement raw) {
        try {
            raw.cancel();
        } catch (SQLException | RuntimeException ignored) {
            // the statement may have finished meanwhile; the socket timeout stays the last resort
        }
    }

    /** One shared timer for statement deadlines, on a virtual thread that ends when idle. */
    private static final class Cancellations {
        static final ScheduledThreadPoolExecutor SCHEDULER = newScheduler();

        private static ScheduledThreadPoolExecutor newScheduler() {
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
                    Thread.ofVirtual().name("strata-statement-deadlines").factory());
            scheduler.setRemoveOnCancelPolicy(true); // most executions end before their deadline
            scheduler.setKeepAliveTime(5, TimeUnit.SECONDS);
            scheduler.allowCoreThreadTimeOut(true);
            return scheduler;
        }
    }
}
