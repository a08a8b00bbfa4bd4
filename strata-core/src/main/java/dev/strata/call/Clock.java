package dev.strata.call;

import java.util.concurrent.TimeUnit;

/**
 * The source of time for every Strata component. Production code uses {@link #system()}; tests
 * of state machines use {@link ManualClock}, whose {@link #sleep(long)} advances time instead of
 * blocking, so a retry with 30 s of backoff runs in microseconds.
 */
public interface Clock {

    /** Monotonic time in nanoseconds, comparable only with other values of the same clock. */
    long nanoTime();

    /** Wall-clock time in epoch milliseconds, for timestamps shown to humans. */
    long currentTimeMillis();

    /**
     * Waits for the given number of nanoseconds. The system clock parks the thread (virtual
     * threads unmount) and reacts to interruption.
     *
     * @throws InterruptedException when the thread is interrupted while waiting
     */
    void sleep(long nanos) throws InterruptedException;

    /** The JVM's clock. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}

enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public void sleep(long nanos) throws InterruptedException {
        if (nanos <= 0) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return;
        }
        TimeUnit.NANOSECONDS.sleep(nanos);
    }
}
