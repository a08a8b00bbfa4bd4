package dev.strata.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The borrowers of a {@link Pool} that found nothing idle and no room to create, in arrival
 * order, and the two wake-ups they get: an idle resource offered to the longest waiter (which
 * leaves the line with it), and "room to create" for the longest waiter still in line.
 * Lock-free; testable alone (the pool's hand-off policy around it lives in {@link Pool}).
 *
 * <p>A returned resource is offered to the longest waiter and stays claimable by anyone
 * meanwhile: binding every return to a parked thread costs a context switch per borrow under load
 * (a convoy), and a waiter the scheduler is slow to run would hold the resource hostage. The
 * waiter an offer goes to leaves the line with it, so the next return offers to the next waiter at
 * once instead of walking past every waiter that holds an offer it has not woken up to take yet
 * (with more threads than cores, most of them); a waiter whose offer someone else claimed first
 * goes back to the front.
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
        // Whether it counts itself among the starving; only its own thread reads or writes this
        private boolean starving;
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

    private final ConcurrentLinkedDeque<Waiter> waiters = new ConcurrentLinkedDeque<>();
    private final AtomicInteger waiting = new AtomicInteger();
    // Waiters that have waited past the starvation mark: written only when one crosses it or leaves,
    // so the borrow's fast path reads a line no one writes under load
    private final AtomicInteger starving = new AtomicInteger();

    /** Joins the line (counted as waiting) at {@code nowNanos}. */
    Waiter join(long nowNanos) {
        Waiter waiter = new Waiter(nowNanos);
        waiting.incrementAndGet();
        waiters.offerLast(waiter);
        return waiter;
    }

    /**
     * Puts a waiter back at the front of the line after the offer it left with was claimed by
     * someone else: it keeps its place (and its waiting time, for the starvation rule).
     */
    void rejoinAtFront(Waiter waiter) {
        waiters.offerFirst(waiter);
    }

    /** Stops counting a waiter that is about to leave (so a message built meanwhile counts right). */
    void uncount() {
        waiting.decrementAndGet();
    }

    /**
     * Leaves the line; returns an offer the waiter had not looked at, or null. {@code inLine} is
     * false when the waiter left it with an offer already (then there is nothing to unlink). The
     * caller passes the returned offer, or a room-to-create wake-up it may have consumed, on.
     */
    Object leave(Waiter waiter, boolean inLine) {
        if (waiter.starving) {
            waiter.starving = false;
            starving.decrementAndGet();
        }
        Object unused = waiter.leave();
        if (unused == null && inLine) {
            waiters.remove(waiter);
        }
        return unused;
    }

    /** Whether {@code waiter} is the longest waiter. */
    boolean isHead(Waiter waiter) {
        return waiters.peekFirst() == waiter;
    }

    /** How many borrowers wait now. */
    int waiting() {
        return waiting.get();
    }

    /**
     * Counts {@code waiter} as starving once it has waited longer than {@code starvationNanos} at
     * {@code nowNanos}; returns how long it may park before it must look again to be counted.
     * Called by the waiter itself each time it wakes up.
     */
    long markIfStarving(Waiter waiter, long nowNanos, long starvationNanos) {
        if (waiter.starving) {
            return Long.MAX_VALUE;
        }
        long untilStarving = waiter.sinceNanos + starvationNanos - nowNanos;
        if (untilStarving < 0) {
            waiter.starving = true;
            starving.incrementAndGet();
            return Long.MAX_VALUE;
        }
        return untilStarving + 1;
    }

    /** Whether a borrower in line has waited past the starvation mark (see {@link #markIfStarving}). */
    boolean someoneStarving() {
        return starving.get() > 0;
    }

    /**
     * Offers {@code entry} to the longest waiter, which leaves the line with it, and wakes it;
     * false when no one is in line.
     */
    boolean offer(Object entry) {
        for (Waiter waiter; (waiter = waiters.pollFirst()) != null; ) {
            if (waiter.offer(entry)) {
                LockSupport.unpark(waiter.thread);
                return true;
            }
            // it left meanwhile (timed out, closed, interrupted): it is out of the line now too
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
