package dev.strata.resilience;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread shared by every policy in the process: it fires asynchronous timeouts,
 * backoffs and hedges. Its tasks only complete futures or interrupt threads, never run user
 * code, so one daemon thread is enough and no policy creates a platform thread per call.
 */
final class Scheduler {

    private static final ScheduledThreadPoolExecutor TIMER = create();

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

    static ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return TIMER.schedule(task, Math.max(0L, delayNanos), TimeUnit.NANOSECONDS);
    }
}
