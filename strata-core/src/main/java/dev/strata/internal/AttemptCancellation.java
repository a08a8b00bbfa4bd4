package dev.strata.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
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
 * resilience and resource packages. A bounded attempt extends this class, so entering one
 * allocates nothing of its own.
 *
 * <p>Where the attempt running on a thread is found: a fixed table of slots, each attempt in one
 * of a few slots chosen by its thread's id, not a thread-local. Every bounded attempt runs on a
 * new virtual thread, and its first thread-local value costs that thread a map (160 bytes per
 * attempt); a slot costs one CAS to take and one store to free. Only when all of a thread's
 * slots are taken (thousands of attempts in flight) does the attempt fall back to a thread-local.
 */
public class AttemptCancellation {

    /** How long a cancelled operation gets to end before its thread is interrupted after all. */
    public static final Duration GRACE = Duration.ofMillis(500);

    private static final int SLOTS = 4096; // a power of two; 16 KB with compressed references
    private static final int PROBES = 8;
    private static final AtomicReferenceArray<AttemptCancellation> RUNNING = new AtomicReferenceArray<>(SLOTS);
    private static final ThreadLocal<AttemptCancellation> OVERFLOW = new ThreadLocal<>();
    /** Attempts in the thread-local now; the look-up consults it only when this is not zero. */
    private static final AtomicInteger OVERFLOWING = new AtomicInteger();
    private static final int NOWHERE = -1;
    private static final int IN_OVERFLOW = -2;

    private Thread thread;
    private int slot = NOWHERE; // this attempt's index in RUNNING, or NOWHERE, or IN_OVERFLOW
    private Runnable canceller; // guarded by this
    private boolean abandoned; // guarded by this
    private boolean finished; // guarded by this

    /** The cancellation of the attempt running on this thread, or null outside a bounded attempt. */
    public static AttemptCancellation current() {
        Thread me = Thread.currentThread();
        int home = home(me);
        for (int i = 0; i < PROBES; i++) {
            AttemptCancellation running = RUNNING.get((home + i) & (SLOTS - 1));
            if (running != null && running.thread == me) {
                return running; // its thread field was written before the slot was taken
            }
        }
        return OVERFLOWING.get() == 0 ? null : OVERFLOW.get();
    }

    /** The first slot of {@code thread}'s attempts: its id mixed, as virtual thread ids are consecutive. */
    private static int home(Thread thread) {
        return (int) ((thread.threadId() * 0x9E3779B97F4A7C15L) >>> 52);
    }

    /** Called on the attempt's thread when it starts. */
    public void enter() {
        Thread me = Thread.currentThread();
        synchronized (this) {
            thread = me;
        }
        int home = home(me);
        for (int i = 0; i < PROBES; i++) {
            int index = (home + i) & (SLOTS - 1);
            if (RUNNING.get(index) == null && RUNNING.compareAndSet(index, null, this)) {
                slot = index;
                return;
            }
        }
        slot = IN_OVERFLOW;
        OVERFLOWING.incrementAndGet();
        OVERFLOW.set(this);
    }

    /** Called on the attempt's thread when it ends, whatever happened. */
    public void exit() {
        if (slot >= 0) {
            RUNNING.set(slot, null);
        } else if (slot == IN_OVERFLOW) {
            if (OVERFLOW.get() == this) {
                OVERFLOW.remove();
            }
            OVERFLOWING.decrementAndGet();
        }
        slot = NOWHERE;
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
