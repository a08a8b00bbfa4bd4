package dev.strata.pool;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import java.time.Duration;

/**
 * How a {@link Pool} makes, checks and disposes of one kind of resource: a JDBC connection, a
 * socket, a client session. The pool calls these methods from borrowing threads and from its
 * housekeeper; an implementation must be thread-safe but never sees the same resource on two
 * threads at once.
 *
 * @param <R> the resource type
 */
public interface ResourceFactory<R> {

    /**
     * Creates a new resource. Runs with the borrower's {@link dev.strata.call.Deadline} current
     * (or one bounded by the pool's acquisition timeout), which the implementation should honour
     * for every wait it makes (DNS, connect, login).
     *
     * @throws Exception when the resource cannot be created; classified by {@link #classifier()}
     */
    R create() throws Exception;

    /**
     * Whether the resource still works, checked within {@code timeout}. Called on borrow when
     * the resource sat idle longer than the pool's validation bypass window. Must not throw:
     * any failure means "not valid".
     */
    boolean validate(R resource, Duration timeout);

    /**
     * Keeps an idle resource alive (and proves it is): called for idle resources at the pool's
     * keepalive interval, which should be below the server's or NAT's idle timeout. The default
     * is a {@link #validate validation}, which for most protocols is a round trip.
     */
    default boolean keepalive(R resource, Duration timeout) {
        return validate(resource, timeout);
    }

    /** Releases the resource's underlying connection. Must not throw and must not block for long. */
    void close(R resource);

    /**
     * Prepares a returned resource for its next borrower (roll back, reset session state).
     * Returns false when the resource cannot be reset and must be evicted instead.
     */
    default boolean reset(R resource) {
        return true;
    }

    /**
     * Classifies failures of this resource, so the pool can tell a broken connection (evicted,
     * never returned) from an application error (the resource stays). {@link FaultClassifier#DEFAULT}
     * unless overridden.
     */
    default FaultClassifier classifier() {
        return FaultClassifier.DEFAULT;
    }

    /** Whether a fault means the resource it happened on must not be used again. */
    default boolean poisons(Fault fault) {
        return fault.kind().poisonsConnection();
    }
}
