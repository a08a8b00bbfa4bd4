package dev.strata.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One open resource of a {@link Pool} and its state, claimed by a CAS: borrowing and returning
 * take no lock and allocate nothing here. Idle, in use, reserved by the housekeeper (a keepalive
 * ping, a retirement) or removed. The fields a borrow and a return write live in
 * {@link PoolEntryLayout.Hot}, padded away from every other object.
 */
final class PoolEntry<R> extends PoolEntryLayout.TailPadding {
    static final int IDLE = 0;
    static final int IN_USE = 1;
    /** Taken by the housekeeper for a keepalive ping or retirement. */
    static final int RESERVED = 2;
    static final int REMOVED = 3;
    private static final VarHandle STATE;
    private static final VarHandle BORROWED;
    private static final VarHandle LAST_RETURNED;
    private static final VarHandle LAST_VERIFIED;
    private static final VarHandle LENT_WITHOUT_WAITING;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(PoolEntryLayout.Hot.class, "state", int.class);
            BORROWED = lookup.findVarHandle(PoolEntryLayout.Hot.class, "borrowed", boolean.class);
            LAST_RETURNED = lookup.findVarHandle(PoolEntryLayout.Hot.class, "lastReturnedNanos", long.class);
            LAST_VERIFIED = lookup.findVarHandle(PoolEntryLayout.Hot.class, "lastVerifiedNanos", long.class);
            LENT_WITHOUT_WAITING = lookup.findVarHandle(PoolEntryLayout.Hot.class, "lentWithoutWaiting", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final R resource; // four bytes: the layout places it in a gap among the written fields

    PoolEntry(R resource, long now, long lifetimeNanos) {
        super(now, lifetimeNanos <= 0 ? Long.MAX_VALUE : now + lifetimeNanos);
        this.resource = resource;
        this.state = IN_USE; // a new entry belongs to whoever created it
        this.lastReturnedNanos = now;
        this.lastVerifiedNanos = now;
    }

    boolean claim(int from, int to) {
        return STATE.compareAndSet(this, from, to);
    }

    int state() {
        return state;
    }

    /**
     * Marks the entry lent out. A release store, not a volatile one: the borrower's claim CAS already
     * ordered it, and the only other reader (the housekeeper's leak scan) tolerates a late view.
     */
    void markBorrowed() {
        BORROWED.setRelease(this, true);
    }

    /**
     * Counts a lend that waited for nothing, on the entry itself: the borrower owns this line
     * already, where a shared counter would bounce between cores on every borrow.
     */
    void countLentWithoutWaiting() {
        LENT_WITHOUT_WAITING.setOpaque(this, (long) LENT_WITHOUT_WAITING.getOpaque(this) + 1L);
    }

    long lentWithoutWaiting() {
        return (long) LENT_WITHOUT_WAITING.getOpaque(this);
    }

    /**
     * Marks the entry back from its borrower. Release stores (see {@link #markReturned}); the
     * borrow site is set only with leak detection on, so it is cleared only then.
     */
    void markUnborrowed() {
        BORROWED.setRelease(this, false);
        if (borrowSite != null) {
            borrowSite = null;
        }
    }

    /**
     * Records a healthy return at {@code now}, before {@link #makeIdle()}. Release stores: the
     * volatile write of the idle state that follows publishes them to the next borrower (who
     * reads that state first), so each needs no fence of its own (x86 pays a full fence per
     * volatile store, and a borrow-and-return made five of them).
     */
    void markReturned(long now) {
        LAST_RETURNED.setRelease(this, now);
        LAST_VERIFIED.setRelease(this, now);
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
