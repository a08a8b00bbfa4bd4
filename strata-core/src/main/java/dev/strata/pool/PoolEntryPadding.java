package dev.strata.pool;

/**
 * 64 bytes laid out before a {@link PoolEntry}'s own fields (the JVM places a superclass's
 * fields first), so the hot fields of two entries allocated one after the other never share a
 * cache line. Two borrowers on two cores each cycle their own entry; without this, the CAS and
 * stores of one invalidate the other's line on every borrow and return (false sharing), which
 * cost the pool half its two-thread throughput against HikariCP on a busy machine.
 */
abstract class PoolEntryPadding {
    @SuppressWarnings("unused") private long p01;
    @SuppressWarnings("unused") private long p02;
    @SuppressWarnings("unused") private long p03;
    @SuppressWarnings("unused") private long p04;
    @SuppressWarnings("unused") private long p05;
    @SuppressWarnings("unused") private long p06;
    @SuppressWarnings("unused") private long p07;
    @SuppressWarnings("unused") private long p08;
}
