package dev.strata.pool;

import dev.strata.fault.Fault;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * One borrowing of a pooled resource. Closing the lease gives the resource back (reset, then
 * idle) exactly once; {@link #evict(Fault)} first marks it as broken so it is closed instead of
 * returned. Use try-with-resources, or {@link Pool#call} which does it for you.
 *
 * <p>A lease is used by one thread at a time; {@link #close()} is idempotent and safe to call
 * from any thread.
 *
 * @param <R> the resource type
 */
public final class Lease<R> implements AutoCloseable {

    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(Lease.class, "released", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Pool<R> pool;
    private final PoolEntry<R> entry;
    private final long unverifiedIdleNanos;
    private volatile Fault brokenBy;
    @SuppressWarnings("unused") // accessed through RELEASED
    private volatile int released;

    Lease(Pool<R> pool, PoolEntry<R> entry, long unverifiedIdleNanos) {
        this.pool = pool;
        this.entry = entry;
        this.unverifiedIdleNanos = unverifiedIdleNanos;
    }

    /** The resource. Do not keep it past {@link #close()}. */
    public R get() {
        return entry.resource;
    }

    /**
     * How long the resource sat idle, without a validation or keepalive proving it alive, before
     * this borrow. A failure on the wire after a long unverified idle is a stale connection.
     */
    public Duration unverifiedIdle() {
        return Duration.ofNanos(unverifiedIdleNanos);
    }

    /** {@link #unverifiedIdle()} in nanoseconds, without the allocation. */
    public long unverifiedIdleNanos() {
        return unverifiedIdleNanos;
    }

    /** The pool this lease came from. */
    public Pool<R> pool() {
        return pool;
    }

    /** Marks the resource broken: on {@link #close()} it is closed and counted as evicted, never reused. */
    public void evict(Fault fault) {
        if (brokenBy == null) {
            brokenBy = fault;
        }
    }

    /** The fault that broke the resource, or null while it is healthy. */
    public Fault brokenBy() {
        return brokenBy;
    }

    /** Whether this lease has been closed. */
    public boolean isReleased() {
        return released != 0;
    }

    /** Returns the resource to the pool, or closes it when it was {@link #evict evicted}. Idempotent. */
    @Override
    public void close() {
        if (RELEASED.compareAndSet(this, 0, 1)) {
            pool.release(entry, brokenBy);
        }
    }
}
