package dev.strata.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * Undoes what a borrower did to a physical connection before it goes back to the pool: closes
 * the statements it left open, rolls back an open transaction and restores every session setting
 * it changed to the value the connection was opened with ({@link JdbcConnection}). A
 * {@link PooledConnection} records what changed as bits, so a borrower that changed nothing costs
 * no round trip beyond clearing warnings.
 */
final class SessionReset {

    /** Auto-commit is off: a transaction may be open. */
    static final int TRANSACTION = 1;
    /** Read-only, isolation, catalog or schema was set. */
    static final int SETTINGS = 1 << 1;
    /** The network timeout was set (by the borrower, or for the call's deadline). */
    static final int NETWORK_TIMEOUT = 1 << 2;

    private SessionReset() {
    }

    /** Closes the borrower's statements still open (null when it made none) and forgets them. */
    static void closeStatements(List<Statement> open) {
        if (open != null && !open.isEmpty()) {
            for (Statement statement : open.toArray(new Statement[0])) {
                try {
                    statement.close();
                } catch (SQLException ignored) {
                    // closing the statement of a broken connection can fail; the reset decides
                }
            }
            open.clear();
        }
    }

    /**
     * Restores {@code pooled} as it was opened, given the {@code changes} its borrower made.
     * Each round trip is bounded by {@code validationTimeout}.
     *
     * @throws SQLException when the connection cannot be reset and must be evicted
     */
    static void reset(JdbcConnection pooled, int changes, Duration validationTimeout) throws SQLException {
        Connection raw = pooled.raw();
        boolean networkTimeoutChanged = (changes & NETWORK_TIMEOUT) != 0;
        if ((changes & (TRANSACTION | SETTINGS)) != 0) {
            // The reset talks to the server; on a black-holed peer an unbounded rollback would
            // hang the borrower's close() forever. Bound each round trip like a validation.
            int bound = (int) Math.max(1, Math.min(Integer.MAX_VALUE, validationTimeout.toMillis()));
            raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, bound);
            networkTimeoutChanged = true;
        }
        if ((changes & TRANSACTION) != 0) {
            raw.rollback(); // never hand an open transaction to the next borrower
            raw.setAutoCommit(true);
        }
        if ((changes & SETTINGS) != 0) {
            if (raw.isReadOnly() != pooled.readOnly()) {
                raw.setReadOnly(pooled.readOnly());
            }
            if (raw.getTransactionIsolation() != pooled.isolation()) {
                raw.setTransactionIsolation(pooled.isolation());
            }
            if (pooled.catalog() != null && !pooled.catalog().equals(raw.getCatalog())) {
                raw.setCatalog(pooled.catalog());
            }
            if (pooled.schema() != null && !pooled.schema().equals(raw.getSchema())) {
                raw.setSchema(pooled.schema());
            }
        }
        if (networkTimeoutChanged) {
            raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, pooled.networkTimeoutMillis());
        }
        raw.clearWarnings();
    }
}
