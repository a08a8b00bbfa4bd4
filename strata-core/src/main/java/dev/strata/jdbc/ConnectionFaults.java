package dev.strata.jdbc;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.pool.Lease;
import dev.strata.pool.Pool;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;

/**
 * What an {@link SQLException} on a borrowed connection means for the pool: a fault that poisons
 * the connection evicts it (it is closed on return, never lent again), and a wire failure on a
 * connection that sat idle unverified past the validation bypass window is named as stale, an L1
 * finding, rather than passed on as a query error.
 */
final class ConnectionFaults {

    private ConnectionFaults() {
    }

    /**
     * Classifies {@code failure} on {@code lease}'s connection and evicts the connection when it
     * is poisoned. Returns what to throw: {@code failure} itself when the connection is fine (or
     * already evicted), else an {@link SQLRecoverableException} whose cause is a
     * {@link StrataException} carrying the fault (SQLState 08006 when stale, else the driver's).
     */
    static SQLException translate(Lease<JdbcConnection> lease, SQLException failure) {
        if (lease.brokenBy() != null) {
            return failure;
        }
        Fault fault = FaultClassifier.DEFAULT.classify(failure);
        if (!fault.kind().poisonsConnection()) {
            return failure;
        }
        Pool<JdbcConnection> pool = lease.pool();
        long idle = lease.unverifiedIdleNanos();
        if (fault.layer() == Layer.NETWORK && idle >= pool.config().validationBypass().toNanos()) {
            Fault stale = pool.staleFault(idle);
            lease.evict(stale);
            pool.staleSlippedThrough(stale, fault);
            StrataException cause = new StrataException(stale, pool.name(),
                    "connection was dead before it was used: " + failure.getMessage(), failure);
            return new SQLRecoverableException(cause.getMessage(), "08006", cause);
        }
        lease.evict(fault);
        // The borrower's catch block sees the layer too, not only the driver's bare exception
        // (the SQLState stays the driver's, so code testing it keeps working).
        StrataException cause = new StrataException(fault, pool.name(),
                "connection broke during use, evicted: " + failure.getMessage(), failure);
        return new SQLRecoverableException(cause.getMessage(), failure.getSQLState(), failure.getErrorCode(), cause);
    }
}
