package dev.strata.pool;

/**
 * The memory layout of a {@link PoolEntry}: the fields its borrower writes on every borrow and
 * return, with 128 bytes of padding on either side, so that no other object shares a cache line
 * (or the adjacent line a prefetcher pulls in with it) with them.
 *
 * <p>Why the layout is spelled out in classes: the JVM lays a superclass's fields out before a
 * subclass's, and nothing else about field order is promised. It also fills gaps in the
 * superclass's layout with small subclass fields: with plain {@code long} padding, the 4-byte gap
 * after a compressed object header took the entry's {@code state}, which every borrow CASes and
 * every return writes, and put it on the same line as whatever object the heap placed just before the
 * entry. When that object was the {@link Pool} itself, which every borrower reads, two threads
 * cycling two different entries slowed each other 2.5-fold, in about one JVM in five, depending on
 * where the collector had copied the entries. The head padding therefore starts with an
 * {@code int} that takes that gap itself.
 */
final class PoolEntryLayout {

    private PoolEntryLayout() {
    }

    /** 132 bytes: the gap after the header, then 128 bytes no subclass field can be placed in. */
    abstract static class HeadPadding {
        @SuppressWarnings("unused") private int p00; // takes the gap after a compressed header
        @SuppressWarnings("unused") private long p01;
        @SuppressWarnings("unused") private long p02;
        @SuppressWarnings("unused") private long p03;
        @SuppressWarnings("unused") private long p04;
        @SuppressWarnings("unused") private long p05;
        @SuppressWarnings("unused") private long p06;
        @SuppressWarnings("unused") private long p07;
        @SuppressWarnings("unused") private long p08;
        @SuppressWarnings("unused") private long p09;
        @SuppressWarnings("unused") private long p10;
        @SuppressWarnings("unused") private long p11;
        @SuppressWarnings("unused") private long p12;
        @SuppressWarnings("unused") private long p13;
        @SuppressWarnings("unused") private long p14;
        @SuppressWarnings("unused") private long p15;
        @SuppressWarnings("unused") private long p16;
    }

    /**
     * What a borrow and a return write, and the entry's times that every borrow reads (on the same
     * lines, so a borrow touches as few as it can). Package-private: the pool's classes use them
     * as fields of the entry, and {@link PoolEntry}'s VarHandles reach them.
     */
    abstract static class Hot extends HeadPadding {
        final long createdNanos;
        final long retireAtNanos;
        volatile int state;
        volatile boolean borrowed;
        volatile long lastReturnedNanos;
        volatile long lastVerifiedNanos;
        // Written only by the borrower (ownership passes through the state CAS); read opaquely
        long lentWithoutWaiting;
        // Written per borrow only with leak detection on
        volatile long borrowedAtNanos;
        volatile boolean leakReported;
        volatile Throwable borrowSite;

        Hot(long createdNanos, long retireAtNanos) {
            this.createdNanos = createdNanos;
            this.retireAtNanos = retireAtNanos;
        }
    }

    /** 128 bytes after the written fields, before the next object. */
    abstract static class TailPadding extends Hot {
        @SuppressWarnings("unused") private long q01;
        @SuppressWarnings("unused") private long q02;
        @SuppressWarnings("unused") private long q03;
        @SuppressWarnings("unused") private long q04;
        @SuppressWarnings("unused") private long q05;
        @SuppressWarnings("unused") private long q06;
        @SuppressWarnings("unused") private long q07;
        @SuppressWarnings("unused") private long q08;
        @SuppressWarnings("unused") private long q09;
        @SuppressWarnings("unused") private long q10;
        @SuppressWarnings("unused") private long q11;
        @SuppressWarnings("unused") private long q12;
        @SuppressWarnings("unused") private long q13;
        @SuppressWarnings("unused") private long q14;
        @SuppressWarnings("unused") private long q15;
        @SuppressWarnings("unused") private long q16;

        TailPadding(long createdNanos, long retireAtNanos) {
            super(createdNanos, retireAtNanos);
        }
    }
}
