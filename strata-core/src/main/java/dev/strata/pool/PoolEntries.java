package dev.strata.pool;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The open resources of a {@link Pool} and the count that bounds them (the role of HikariCP's
 * ConcurrentBag shared list). Every open resource sits in a copy-on-write array and is claimed by a
 * CAS on its state: borrowing and returning allocate nothing and take no lock here. The array is
 * copied only when a resource opens or closes.
 */
final class PoolEntries<R> {

    private final int maxSize;
    private volatile PoolEntry<R>[] entries = newArray(0);
    private final ReentrantLock entriesLock = new ReentrantLock();
    // Reserved before a resource is created, so racing creators never exceed maxSize.
    private final AtomicInteger total = new AtomicInteger();
    // Where each thread (hashed) last found an idle resource: see claimIdle. Written only when that
    // changes, so in a steady state every borrower only reads it.
    private static final int LAST_CLAIMED_SLOTS = 1024;
    private final int[] lastClaimed = new int[LAST_CLAIMED_SLOTS];
    // The lends without waiting of resources already closed; guarded by entriesLock
    private long closedLentWithoutWaiting;

    PoolEntries(int maxSize) {
        this.maxSize = maxSize;
    }

    /** The open resources now, whatever their state; for scans that may miss one opened meanwhile. */
    PoolEntry<R>[] snapshot() {
        return entries;
    }

    /**
     * Claims an idle resource, or returns null when none is. A thread starts its scan at the
     * resource it claimed last (remembered per thread, hashed, in a small table): it tends to get
     * the same one back (warm caches, and the others can age out), and two threads settle on
     * different resources instead of racing for the same one on every borrow.
     */
    PoolEntry<R> claimIdle() {
        PoolEntry<R>[] snapshot = entries;
        int n = snapshot.length;
        if (n == 0) {
            return null;
        }
        // The thread id mixed first: consecutive ids would otherwise share neighbouring slots.
        long mixed = Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L;
        int slot = (int) (mixed >>> 32) & (LAST_CLAIMED_SLOTS - 1);
        int remembered = lastClaimed[slot] - 1; // stored plus one: 0 is "nothing yet"
        // A thread seen for the first time starts at a place of its own: two threads that both
        // started at the first resource would work on neighbouring cache lines
        int start = remembered >= 0 && remembered < n ? remembered : (int) ((mixed >>> 33) % n);
        int i = start;
        for (int left = n; left > 0; left--) {
            PoolEntry<R> entry = snapshot[i];
            if (entry.state() == PoolEntry.IDLE && entry.claim(PoolEntry.IDLE, PoolEntry.IN_USE)) {
                if (i != remembered) {
                    lastClaimed[slot] = i + 1; // a plain write: a stale or lost value only moves where a scan starts
                }
                return entry;
            }
            if (++i == n) {
                i = 0;
            }
        }
        return null;
    }

    /** Resources idle now. */
    int idleCount() {
        return count(entry -> entry.state() == PoolEntry.IDLE);
    }

    /** Resources lent out now. */
    int borrowedCount() {
        return count(entry -> entry.borrowed);
    }

    private int count(Predicate<PoolEntry<R>> which) {
        int count = 0;
        for (PoolEntry<R> entry : entries) {
            if (which.test(entry)) {
                count++;
            }
        }
        return count;
    }

    /**
     * Every lend that waited for nothing, by the open resources and the closed ones. Never
     * decreases between two calls: a closing resource's count moves under the same lock.
     */
    long lentWithoutWaiting() {
        entriesLock.lock();
        try {
            long sum = closedLentWithoutWaiting;
            for (PoolEntry<R> entry : entries) {
                sum += entry.lentWithoutWaiting();
            }
            return sum;
        } finally {
            entriesLock.unlock();
        }
    }

    /** Resources open or being created now. */
    int total() {
        return total.get();
    }

    /** Whether one more resource may be created. */
    boolean hasRoom() {
        return total.get() < maxSize;
    }

    /** Counts a resource about to be created; false when the pool is full. */
    boolean reserveRoom() {
        for (;;) {
            int current = total.get();
            if (current >= maxSize) {
                return false;
            }
            if (total.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Stops counting a resource: its creation failed, or it was closed. */
    void freeRoom() {
        total.decrementAndGet();
    }

    /** Adds a new resource, already counted by {@link #reserveRoom()}. */
    void register(PoolEntry<R> entry) {
        entriesLock.lock();
        try {
            PoolEntry<R>[] grown = Arrays.copyOf(entries, entries.length + 1);
            grown[grown.length - 1] = entry;
            entries = grown;
        } finally {
            entriesLock.unlock();
        }
    }

    /** Removes a resource; false when it was already removed (two retirements raced). */
    boolean unregister(PoolEntry<R> entry) {
        entriesLock.lock();
        try {
            PoolEntry<R>[] current = entries;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == entry) {
                    PoolEntry<R>[] shrunk = newArray(current.length - 1);
                    System.arraycopy(current, 0, shrunk, 0, i);
                    System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
                    entries = shrunk;
                    closedLentWithoutWaiting += entry.lentWithoutWaiting(); // no longer lent: final
                    return true;
                }
            }
            return false;
        } finally {
            entriesLock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static <R> PoolEntry<R>[] newArray(int length) {
        return (PoolEntry<R>[]) new PoolEntry<?>[length];
    }
}
