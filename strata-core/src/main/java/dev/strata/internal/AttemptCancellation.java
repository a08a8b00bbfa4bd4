package dev.strata.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * How an abandoned attempt is stopped: gently first. An attempt that runs on its own thread (a
 * per-attempt timeout, a hedge) can register, around a blocking call, the way to cancel that
 * call (a JDBC {@code Statement.cancel()}). When the attempt is abandoned the registered
 * cancellation runs, and the thread is interrupted only if the attempt has not ended a short
 * grace later. Interrupting first would close the socket of a virtual thread blocked in I/O
 * and with it a pooled connection: a slow database would get a reconnect storm on top.
 *
 * <p>With nothing registered, abandoning interrupts at once, as before. Not API: shared by the
 * resilience and resource packages.
 */
public final class AttemptCancellation {

    /** How long a cancelled operation gets to end before its thread is interrupted after all. */
    public static final Duration GRACE = Duration.ofMillis(500);

    private static final ThreadLocal<AttemptCancellation> CURRENT = new ThreadLocal<>();

    private Thread thread;
    private Runnable canceller; // guarded by this
    private boolean abandoned; // guarded by this
    private boolean finished; // guarded by this

    /** The cancellation of the attempt running on this thread, or null outside a bounded attempt. */
    public static AttemptCancellation current() {
        return CURRENT.get();
    }

    /** Called on the attempt's thread when it starts. */
    public void enter() {
        synchronized (this) {
            thread = Thread.currentThread();
        }
        CURRENT.set(this);
    }

    /** Called on the attempt's thread when it ends, whatever happened. */
    public void exit() {
        CURRENT.remove();
        synchronized (this) {
            finished = true;
            canceller = null;
        }
    }

    /**
     * Registers how to cancel the blocking operation about to start on this attempt's thread.
     *
     * @return false when the attempt was already abandoned: do not start the operation
     */
    public synchronized boolean register(Runnable cancel) {
        if (abandoned) {
            return false;
        }
        canceller = cancel;
        return true;
    }

    /** The operation registered with {@code cancel} ended. */
    public synchronized void unregister(Runnable cancel) {
        if (canceller == cancel) {
            canceller = null;
        }
    }

    /**
     * The attempt is abandoned: cancel its registered operation, and interrupt its thread when
     * nothing is registered or it has not ended within {@link #GRACE}. Returns at once; the
     * cancellation runs on a virtual thread of its own (a JDBC cancel opens a connection).
     */
    public void abandon(Thread attemptThread) {
        Runnable cancel;
        synchronized (this) {
            abandoned = true;
            if (finished) {
                return;
            }
            cancel = canceller;
        }
        if (cancel == null) {
            attemptThread.interrupt();
            return;
        }
        Thread.ofVirtual().name("strata-attempt-cancel").start(() -> {
            try {
                cancel.run();
            } catch (RuntimeException ignored) {
                // the interrupt below is the fallback
            }
            long end = System.nanoTime() + GRACE.toNanos();
            for (;;) {
                synchronized (this) {
                    if (finished) {
                        return;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    attemptThread.interrupt(); // the last resort
                    return;
                }
                LockSupport.parkNanos(Math.min(left, 10_000_000L));
            }
        });
    }
}
