package dev.strata.resilience;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread shared by every policy in the process: it fires asynchronous timeouts,
 * backoffs and hedges. The timer itself only hands each due task to a new virtual thread, so a
 * task that calls user code (a supplier that blocks, a callback on a future it completes) can
 * never delay another pipeline's timeout, and no policy creates a platform thread per call.
 */
final class Scheduler {

    private static final ScheduledThreadPoolExecutor TIMER = create();
    private static final ThreadFactory TASKS = Thread.ofVirtual().name("strata-async-", 0).factory();

    private Scheduler() {
    }

    private static ScheduledThreadPoolExecutor create() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "strata-timer");
            thread.setDaemon(true);
            return thread;
        });
        // Cancelled timeouts are the common case (the call finished first); drop them at once.
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /**
     * Runs {@code task} on a new virtual thread after {@code delayNanos}. Cancelling the returned
     * future before it is due prevents the task; once due, the task runs to its end.
     */
    static ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        Runnable carried = dev.strata.observe.ContextPropagation.wrap(task); // the scheduling thread's trace context
        return TIMER.schedule(() -> TASKS.newThread(carried).start(), Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
    }
}
