package dev.strata.resilience;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.internal.AttemptCancellation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one attempt on its own virtual thread so the caller can stop waiting at the bound whatever
 * the attempt does. On timeout the attempt's thread is interrupted (a virtual thread blocked in
 * socket I/O gets its socket closed, so the attempt ends and releases what it holds) and the
 * caller is released at once. The deadline and call context are re-entered on the attempt's
 * thread so nested layers still see them.
 */
final class BoundedAttempt<T> extends AttemptCancellation implements Runnable {

    private static final ThreadFactory THREADS = Thread.ofVirtual().name("strata-attempt-", 0).factory();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(BoundedAttempt.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int YIELDS_BEFORE_PARKING = 4;
    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    private final Callable<T> body;
    private final Deadline deadline;
    private final CallContext context;
    private final AtomicInteger inFlight;
    private final Thread waiter;
    private final CircuitBreaker[] heldBreakers;
    /** The caller's tracing context, null when no propagator is registered. */
    private final Object[] propagated;
    /**
     * RUNNING (0, so no initializer: a volatile write saved), DONE or ABANDONED; a field with a
     * VarHandle rather than an AtomicInteger, which cost 16 B more per attempt.
     */
    private volatile int state;
    private Thread thread;
    // Written before the state becomes DONE and read after, so the atomic publishes them.
    private T value;
    private Throwable failure;

    private BoundedAttempt(Callable<T> body, Deadline deadline, CallContext context, AtomicInteger inFlight) {
        this.body = body;
        this.deadline = deadline;
        this.context = context;
        this.inFlight = inFlight;
        this.waiter = Thread.currentThread();
        this.heldBreakers = BreakerHold.snapshotOfCurrentThread();
        this.propagated = dev.strata.observe.ContextPropagation.capture();
    }

    /** Starts {@code body} on a new virtual thread. */
    static <T> BoundedAttempt<T> start(Callable<T> body, Deadline deadline, CallContext context, AtomicInteger inFlight) {
        BoundedAttempt<T> attempt = new BoundedAttempt<>(body, deadline, context, inFlight);
        attempt.thread = THREADS.newThread(attempt);
        inFlight.incrementAndGet();
        attempt.thread.start();
        return attempt;
    }

    @Override
    public void run() {
        Deadline.Scope deadlineScope = deadline == null ? null : deadline.enter();
        Deadline.Scope contextScope = context == null ? null : context.enter();
        BreakerHold.adopt(heldBreakers);
        AutoCloseable[] attached = dev.strata.observe.ContextPropagation.attach(propagated);
        enter(); // this attempt is its own cancellation: nothing allocated for it
        try {
            value = body.call();
        } catch (Throwable t) {
            failure = t;
        } finally {
            exit();
            dev.strata.observe.ContextPropagation.detach(attached);
            BreakerHold.release(heldBreakers);
            if (contextScope != null) {
                contextScope.close();
            }
            if (deadlineScope != null) {
                deadlineScope.close();
            }
            inFlight.decrementAndGet();
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                LockSupport.unpark(waiter);
            }
        }
    }

    /**
     * Waits up to {@code boundNanos} (system time) for the attempt to finish.
     *
     * @return true when it finished (call {@link #result()}), false when the bound passed first
     * @throws InterruptedException when the waiting thread is interrupted; the attempt is abandoned
     */
    boolean await(long boundNanos) throws InterruptedException {
        // A fast attempt often ends within a few scheduler slices: yielding lets its carrier run
        // and spares the caller a park and an unpark, the dominant cost of a fast bounded call.
        for (int i = 0; i < YIELDS_BEFORE_PARKING && state == RUNNING; i++) {
            Thread.yield();
        }
        long end = System.nanoTime() + boundNanos;
        while (state == RUNNING) {
            if (Thread.interrupted()) {
                if (abandon()) {
                    throw new InterruptedException();
                }
                Thread.currentThread().interrupt(); // finished meanwhile; keep the caller's interrupt
                return true;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, left);
        }
        return true;
    }

    /** Whether the attempt has finished. */
    boolean isDone() {
        return state == DONE;
    }

    /**
     * Stops waiting for the attempt and interrupts it.
     *
     * @return true when it was abandoned, false when it had already finished
     */
    boolean abandon() {
        if (STATE.compareAndSet(this, RUNNING, ABANDONED)) {
            abandon(thread); // cancels a registered JDBC statement first; interrupts as the last resort
            return true;
        }
        return false;
    }

    /** The attempt's result, or its failure rethrown; only after it finished. */
    T result() throws Exception {
        Throwable t = failure;
        if (t == null) {
            return value;
        }
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("attempt threw a raw Throwable", t);
    }
}
