package dev.strata.resilience;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The timer task that interrupts a virtual caller running its own attempt. The states make sure
 * an interrupt meant for a timed-out attempt is always delivered and then cleared by the
 * attempt's owner, never left behind to hit whatever the thread does next.
 */
final class CallerInterrupt implements Runnable {

    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private final Thread caller;
    private final AtomicInteger state = new AtomicInteger(RUNNING);

    CallerInterrupt(Thread caller) {
        this.caller = caller;
    }

    @Override
    public void run() {
        if (state.compareAndSet(RUNNING, INTERRUPTING)) {
            caller.interrupt();
            state.set(INTERRUPTED);
        }
    }

    /**
     * Marks the attempt finished.
     *
     * @return true when it finished in time; false when the timer fired, in which case its
     *     interrupt has been delivered and cleared
     */
    boolean finish() {
        if (state.compareAndSet(RUNNING, DONE)) {
            return true;
        }
        while (state.get() != INTERRUPTED) {
            Thread.onSpinWait(); // the timer is between its CAS and its interrupt: a few instructions
        }
        Thread.interrupted();
        return false;
    }
}
