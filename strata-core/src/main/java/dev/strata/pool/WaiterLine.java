package dev.strata.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The borrowers of a {@link Pool} that found nothing idle and no room to create, in arrival
 * order, and the two wake-ups they get: an idle resource offered to the longest waiter without
 * an offer, and "room to create" for the longest waiter still in line. Lock-free; testable alone
 * (the pool's hand-off policy around it lives in {@link Pool}).
 *
 * <p>A returned resource is offered to the longest waiter and stays claimable by anyone
 * meanwhile: binding every return to a parked thread costs a context switch per borrow under load
 * (a convoy), and a waiter the scheduler is slow to run would hold the resource hostage.
 */
final class WaiterLine {

    /** A borrower parked until it finds a resource, room to create one, or gives up. */
    static final class Waiter {
        /** The waiter left the line; offers to it fail. */
        private static final Object GONE = new Object();
        private static final VarHandle SLOT;

        static {
            try {
                SLOT = MethodHandles.lookup().findVarHandle(Waiter.class, "slot", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Thread thread = Thread.currentThread();
        final long sinceNanos;
        // null while waiting without an offer, else the idle entry offered to it, or GONE
        @SuppressWarnings("unused") // accessed through SLOT
        private volatile Object slot;

        Waiter(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }

        /** Offers an idle resource to claim; false when the waiter already has an offer or left. */
        boolean offer(Object entry) {
            return SLOT.compareAndSet(this, null, entry);
        }

        /** Drops an offer the waiter has looked at, so it can receive the next one. */
        void clear(Object offered) {
            SLOT.compareAndSet(this, offered, null);
        }

        /** Leaves the line; returns an offer it had not looked at, or null. */
        Object leave() {
            return SLOT.getAndSet(this, GONE);
        }

        Object slot() {
            return slot;
        }

        boolean hasLeft() {
            return slot == GONE;
        }
    }

    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();

    /** Joins the line (counted as waiting) at {@code nowNanos}. */
    Waiter join(long nowNanos) {
        Waiter waiter = new Waiter(nowNanos);
        waiting.incrementAndGet();
        waiters.offer(waiter);
        return waiter;
    }

    /** Stops counting a waiter that is about to leave (so a message built meanwhile counts right). */
    void uncount() {
        waiting.decrementAndGet();
    }

    /**
     * Leaves the line; returns an offer the waiter had not looked at, or null. The caller
     * passes that offer, or a room-to-create wake-up it may have consumed, on.
     */
    Object leave(Waiter waiter) {
        Object unused = waiter.leave();
        waiters.remove(waiter);
        return unused;
    }

    /** Whether {@code waiter} is the longest waiter. */
    boolean isHead(Waiter waiter) {
        return waiters.peek() == waiter;
    }

    /** How many borrowers wait now. */
    int waiting() {
        return waiting.get();
    }

    boolean isEmpty() {
        return waiters.isEmpty();
    }

    /** Whether the longest waiter has waited longer than {@code starvationNanos} at {@code nowNanos}. */
    boolean someoneStarving(long nowNanos, long starvationNanos) {
        if (waiting.get() == 0) {
            return false;
        }
        Waiter head = waiters.peek();
        return head != null && nowNanos - head.sinceNanos > starvationNanos;
    }

    /** Offers {@code entry} to the longest waiter without an offer and wakes it; false when there is none. */
    boolean offer(Object entry) {
        for (Waiter waiter : waiters) {
            if (waiter.offer(entry)) {
                LockSupport.unpark(waiter.thread);
                return true;
            }
        }
        return false;
    }

    /**
     * Room to create appeared (a resource closed, a creation failed): wakes the longest waiter
     * still in line, which may now create one. A waiter that leaves anyway must pass the
     * wake-up on ({@link Pool} does), so it is never lost.
     */
    void signalRoom() {
        for (Waiter waiter : waiters) {
            if (!waiter.hasLeft()) {
                LockSupport.unpark(waiter.thread);
                return;
            }
        }
    }

    /** Wakes every waiter (the pool closed: each sees it and fails at once). */
    void wakeAll() {
        for (Waiter waiter : waiters) {
            LockSupport.unpark(waiter.thread);
        }
    }
}
