package dev.strata.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One open resource of a {@link Pool} and its state, claimed by a CAS: borrowing and returning
 * take no lock and allocate nothing here. Idle, in use, reserved by the housekeeper (a keepalive
 * ping, a retirement) or removed.
 */
final class PoolEntry<R> {
    static final int IDLE = 0;
    static final int IN_USE = 1;
    /** Taken by the housekeeper for a keepalive ping or retirement. */
    static final int RESERVED = 2;
    static final int REMOVED = 3;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(PoolEntry.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final R resource;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state = IN_USE; // a new entry belongs to whoever created it
    final long createdNanos;
    final long retireAtNanos;
    volatile long lastReturnedNanos;
    volatile long lastVerifiedNanos;
    volatile long borrowedAtNanos;
    volatile boolean borrowed;
    volatile boolean leakReported;
    volatile Throwable borrowSite;

    PoolEntry(R resource, long now, long lifetimeNanos) {
        this.resource = resource;
        this.createdNanos = now;
        this.retireAtNanos = lifetimeNanos <= 0 ? Long.MAX_VALUE : now + lifetimeNanos;
        this.lastReturnedNanos = now;
        this.lastVerifiedNanos = now;
    }

    boolean claim(int from, int to) {
        return STATE.compareAndSet(this, from, to);
    }

    int state() {
        return state;
    }

    void makeIdle() {
        state = IDLE; // a full volatile write: ordered against the check of the waiter line
    }

    void markRemoved() {
        state = REMOVED;
    }

    boolean retirementDue(long now) {
        return retireAtNanos != Long.MAX_VALUE && now - retireAtNanos >= 0;
    }
}
