package dev.strata.jdbc;

import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.internal.AttemptCancellation;
import dev.strata.jdbc.internal.JdbcCallableStatement;
import dev.strata.jdbc.internal.JdbcDatabaseMetaData;
import dev.strata.jdbc.internal.JdbcHooks;
import dev.strata.jdbc.internal.JdbcPreparedStatement;
import dev.strata.jdbc.internal.JdbcResultSet;
import dev.strata.jdbc.internal.JdbcStatement;
import dev.strata.pool.Lease;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The {@link Connection} a {@link StrataDataSource} lends out: one borrowing of a pooled
 * physical connection. It
 * <ul>
 *   <li>gives the physical connection back on {@link #close()}, after closing the borrower's
 *       open statements, rolling back an open transaction and restoring every session setting
 *       the borrower changed;</li>
 *   <li>watches every failure: a connection-class fault evicts the physical connection instead
 *       of returning it, and a wire failure on a connection that sat idle unverified is
 *       rethrown as an {@link SQLRecoverableException} (SQLState 08006) whose cause is a
 *       {@link StrataException} of kind {@link FaultKind#STALE_CONNECTION} with the idle time,
 *       so any classifier reports {@code NETWORK/stale-connection (idle 3.1s)}, not a query error;</li>
 *   <li>applies the current {@link Deadline} as network timeout and statement query timeout.</li>
 * </ul>
 * Like any JDBC connection it is meant for one thread at a time.
 *
 * <p>The methods that pass straight to the driver are in {@link DelegatingConnection}; the failure
 * translation is {@link ConnectionFaults}, the cancellation of statements {@link StatementCancellation}
 * and the reset on return {@link SessionReset}.
 */
final class PooledConnection extends DelegatingConnection implements JdbcHooks {

    private final StrataDataSource dataSource;
    private final Lease<JdbcConnection> lease;
    private final JdbcConnection pooled;
    private final Deadline deadline;
    private List<Statement> openStatements; // allocated on the first statement: most borrows in a benchmark make none
    private boolean closed;
    private int changes; // what the borrower changed, as SessionReset bits

    PooledConnection(StrataDataSource dataSource, Lease<JdbcConnection> lease, Deadline deadline) throws SQLException {
        super(lease.get().raw());
        this.dataSource = dataSource;
        this.lease = lease;
        this.pooled = lease.get();
        this.deadline = deadline;
        if (deadline != null) {
            // A blocked read must not outlive the call: each statement is cancelled at the deadline
            // (to the millisecond, see StatementCancellation), and the driver's socket timeout, a
            // grace later, is the last resort that also costs the connection.
            long remaining = deadline.remaining().plus(AttemptCancellation.GRACE).toMillis();
            int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining));
            try {
                raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, millis);
                changes |= SessionReset.NETWORK_TIMEOUT;
            } catch (SQLException failure) {
                throw translate(failure);
            }
        }
    }

    @Override
    void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLException("connection is closed (returned to pool " + dataSource.pool().name() + ")", "08003");
        }
    }

    /** Classifies a failure, evicts the physical connection when it is poisoned, and names staleness. */
    @Override
    public SQLException translate(SQLException failure) {
        return ConnectionFaults.translate(lease, failure);
    }

    private <T extends Statement> T track(T statement) {
        if (openStatements == null) {
            openStatements = new ArrayList<>(4);
        }
        openStatements.add(statement);
        return statement;
    }

    private Statement wrap(Statement raw) {
        return new JdbcStatement(track(raw), this);
    }

    private PreparedStatement wrap(PreparedStatement raw) {
        return new JdbcPreparedStatement(track(raw), this);
    }

    private CallableStatement wrap(CallableStatement raw) {
        return new JdbcCallableStatement(track(raw), this);
    }

    // ------------------------------------------------------------ hooks of the generated wrappers

    @Override
    public Connection connection() {
        return this;
    }

    @Override
    public ResultSet resultSet(Statement owner, ResultSet raw) {
        return raw == null ? null : new JdbcResultSet(raw, this, owner);
    }

    @Override
    public void closed(Statement raw) {
        if (openStatements != null) {
            openStatements.remove(raw);
        }
    }

    /**
     * Before a statement runs: with a deadline, schedule its cancellation at the deadline; inside
     * a bounded attempt, register the cancellation so the attempt's timeout cancels the statement
     * instead of interrupting the thread.
     */
    @Override
    public Object beforeExecute(Statement raw) throws SQLException {
        return StatementCancellation.arm(raw, deadline);
    }

    @Override
    public void afterExecute(Object execution) {
        StatementCancellation.disarm(execution);
    }

    // ------------------------------------------------------------ lifecycle and tracked state

    /** Returns the physical connection to the pool, reset; or evicts it when it broke. Idempotent. */
    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            SessionReset.closeStatements(openStatements);
            if (lease.brokenBy() == null) {
                SessionReset.reset(pooled, changes, lease.pool().config().validationTimeout());
            }
        } catch (SQLException failure) {
            SQLException translated = translate(failure);
            if (lease.brokenBy() == null) {
                lease.evict(Fault.of(FaultKind.NETWORK_IO, "reset failed: " + failure.getMessage()));
            }
            lease.pool().resetFailed(lease.brokenBy(), failure);
            if (translated != failure) {
                throw translated;
            }
        } finally {
            lease.close();
        }
    }

    @Override
    public boolean isClosed() throws SQLException {
        return closed || raw.isClosed();
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        lease.evict(Fault.of(FaultKind.RESOURCE_CLOSED, "aborted by the borrower"));
        try {
            raw.abort(executor);
        } finally {
            lease.close();
        }
    }

    @Override
    public boolean isValid(int timeoutSeconds) throws SQLException {
        return !closed && raw.isValid(timeoutSeconds);
    }

    @Override
    public void setAutoCommit(boolean autoCommit) throws SQLException {
        checkOpen();
        try {
            raw.setAutoCommit(autoCommit);
            changes = autoCommit ? changes & ~SessionReset.TRANSACTION : changes | SessionReset.TRANSACTION;
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        checkOpen();
        changes |= SessionReset.SETTINGS;
        try {
            raw.setReadOnly(readOnly);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        checkOpen();
        changes |= SessionReset.SETTINGS;
        try {
            raw.setTransactionIsolation(level);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        checkOpen();
        changes |= SessionReset.SETTINGS;
        try {
            raw.setCatalog(catalog);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        checkOpen();
        changes |= SessionReset.SETTINGS;
        try {
            raw.setSchema(schema);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        checkOpen();
        changes |= SessionReset.NETWORK_TIMEOUT;
        try {
            raw.setNetworkTimeout(executor, milliseconds);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public String toString() {
        return "Strata(" + raw + ", pool " + dataSource.pool().name() + (closed ? ", closed" : "") + ")";
    }

    // ------------------------------------------------------------ statements, wrapped and tracked

    @Override
    public Statement createStatement() throws SQLException {
        checkOpen();
        try {
            return wrap(raw.createStatement());
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareCall(sql));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        checkOpen();
        try {
            return new JdbcDatabaseMetaData(raw.getMetaData(), this);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.createStatement(resultSetType, resultSetConcurrency));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql, resultSetType, resultSetConcurrency));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareCall(sql, resultSetType, resultSetConcurrency));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Statement createStatement(int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.createStatement(resultSetType, resultSetConcurrency, resultSetHoldability));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql, resultSetType, resultSetConcurrency, resultSetHoldability));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency, int resultSetHoldability) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql, autoGeneratedKeys));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql, columnIndexes));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        checkOpen();
        try {
            return wrap(raw.prepareStatement(sql, columnNames));
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        return raw.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || raw.isWrapperFor(type);
    }
}
