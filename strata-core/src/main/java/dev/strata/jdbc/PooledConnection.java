package dev.strata.jdbc;

import dev.strata.pool.Pool;
import dev.strata.pool.Lease;
import dev.strata.jdbc.internal.JdbcHooks;
import dev.strata.jdbc.internal.JdbcStatement;
import dev.strata.jdbc.internal.JdbcPreparedStatement;
import dev.strata.jdbc.internal.JdbcCallableStatement;
import dev.strata.jdbc.internal.JdbcResultSet;
import dev.strata.jdbc.internal.JdbcDatabaseMetaData;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLTimeoutException;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import dev.strata.internal.AttemptCancellation;

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
 */
final class PooledConnection implements Connection, JdbcHooks {

    private final StrataDataSource dataSource;
    private final Lease<JdbcConnection> lease;
    private final JdbcConnection pooled;
    private final Connection raw;
    private final Deadline deadline;
    private List<Statement> openStatements; // allocated on the first statement: most borrows in a benchmark make none
    private boolean closed;
    private boolean autoCommit = true;
    private boolean sessionDirty;
    private boolean networkTimeoutDirty;

    PooledConnection(StrataDataSource dataSource, Lease<JdbcConnection> lease, Deadline deadline) throws SQLException {
        this.dataSource = dataSource;
        this.lease = lease;
        this.pooled = lease.get();
        this.raw = pooled.raw();
        this.deadline = deadline;
        if (deadline != null) {
            // A blocked read must not outlive the call: each statement is cancelled at the deadline
            // (to the millisecond, see beforeExecute), and the driver's socket timeout, a grace
            // later, is the last resort that also costs the connection.
            long remaining = deadline.remaining().plus(AttemptCancellation.GRACE).toMillis();
            int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining));
            try {
                raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, millis);
                networkTimeoutDirty = true;
            } catch (SQLException failure) {
                throw translate(failure);
            }
        }
    }

    private void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLException("connection is closed (returned to pool " + dataSource.pool().name() + ")", "08003");
        }
    }

    /** Classifies a failure, evicts the physical connection when it is poisoned, and names staleness. */
    @Override
    public SQLException translate(SQLException failure) {
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

    /** One running execution: what to undo when it ends. */
    private record Execution(AttemptCancellation attempt, Runnable cancel, ScheduledFuture<?> deadlineTimer) {
    }

    /**
     * Before a statement runs: with a deadline, schedule its cancellation at the deadline (to
     * the millisecond; JDBC's query timeout counts whole seconds); inside a bounded attempt,
     * register the cancellation so the attempt's timeout cancels the statement instead of
     * interrupting the thread (which would close the socket and cost the connection).
     */
    @Override
    public Object beforeExecute(Statement raw) throws SQLException {
        AttemptCancellation attempt = AttemptCancellation.current();
        if (attempt == null && deadline == null) {
            return null; // the common case: nothing to arm
        }
        Runnable cancel = () -> cancelQuietly(raw);
        ScheduledFuture<?> timer = null;
        if (deadline != null) {
            long left = deadline.remainingNanos();
            if (left <= 0) {
                throw new SQLTimeoutException("the call's deadline passed before the statement ran", "57014");
            }
            timer = Cancellations.SCHEDULER.schedule(() -> Thread.ofVirtual().start(cancel), left, TimeUnit.NANOSECONDS);
        }
        if (attempt != null && !attempt.register(cancel)) {
            if (timer != null) {
                timer.cancel(false);
            }
            throw new SQLTimeoutException("the attempt was abandoned at its timeout before the statement ran", "57014");
        }
        return new Execution(attempt, cancel, timer);
    }

    @Override
    public void afterExecute(Object execution) {
        if (execution instanceof Execution running) {
            if (running.deadlineTimer() != null) {
                running.deadlineTimer().cancel(false);
            }
            if (running.attempt() != null) {
                running.attempt().unregister(running.cancel());
            }
        }
    }

    private static void cancelQuietly(Statement raw) {
        try {
            raw.cancel();
        } catch (SQLException | RuntimeException ignored) {
            // the statement may have finished meanwhile; the socket timeout stays the last resort
        }
    }

    /** One shared timer for statement deadlines, on a virtual thread that ends when idle. */
    private static final class Cancellations {
        static final ScheduledThreadPoolExecutor SCHEDULER = newScheduler();

        private static ScheduledThreadPoolExecutor newScheduler() {
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
                    Thread.ofVirtual().name("strata-statement-deadlines").factory());
            scheduler.setRemoveOnCancelPolicy(true); // most executions end before their deadline
            scheduler.setKeepAliveTime(5, TimeUnit.SECONDS);
            scheduler.allowCoreThreadTimeOut(true);
            return scheduler;
        }
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
            if (openStatements != null && !openStatements.isEmpty()) {
                for (Statement statement : openStatements.toArray(new Statement[0])) {
                    try {
                        statement.close();
                    } catch (SQLException ignored) {
                        // closing the statement of a broken connection can fail; the reset below decides
                    }
                }
                openStatements.clear();
            }
            if (lease.brokenBy() == null) {
                resetSession();
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

    private void resetSession() throws SQLException {
        if (!autoCommit || sessionDirty) {
            // The reset talks to the server; on a black-holed peer an unbounded rollback would
            // hang the borrower's close() forever. Bound each round trip like a validation.
            int bound = (int) Math.max(1, Math.min(Integer.MAX_VALUE, lease.pool().config().validationTimeout().toMillis()));
            raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, bound);
            networkTimeoutDirty = true;
        }
        if (!autoCommit) {
            raw.rollback(); // never hand an open transaction to the next borrower
            raw.setAutoCommit(true);
        }
        if (sessionDirty) {
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
        if (networkTimeoutDirty) {
            raw.setNetworkTimeout(JdbcConnectionFactory.DIRECT, pooled.networkTimeoutMillis());
        }
        raw.clearWarnings();
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
            this.autoCommit = autoCommit;
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setReadOnly(boolean readOnly) throws SQLException {
        checkOpen();
        sessionDirty = true;
        try {
            raw.setReadOnly(readOnly);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        checkOpen();
        sessionDirty = true;
        try {
            raw.setTransactionIsolation(level);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        checkOpen();
        sessionDirty = true;
        try {
            raw.setCatalog(catalog);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        checkOpen();
        sessionDirty = true;
        try {
            raw.setSchema(schema);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        checkOpen();
        networkTimeoutDirty = true;
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

    // ------------------------------------------------------------ plain delegation

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
    public String nativeSQL(String sql) throws SQLException {
        checkOpen();
        try {
            return raw.nativeSQL(sql);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        try {
            return raw.getAutoCommit();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void commit() throws SQLException {
        checkOpen();
        try {
            raw.commit();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void rollback() throws SQLException {
        checkOpen();
        try {
            raw.rollback();
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
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        try {
            return raw.isReadOnly();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public String getCatalog() throws SQLException {
        checkOpen();
        try {
            return raw.getCatalog();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        checkOpen();
        try {
            return raw.getTransactionIsolation();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        try {
            return raw.getWarnings();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        try {
            raw.clearWarnings();
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
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        checkOpen();
        try {
            return raw.getTypeMap();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> typeMap) throws SQLException {
        checkOpen();
        try {
            raw.setTypeMap(typeMap);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        checkOpen();
        try {
            raw.setHoldability(holdability);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getHoldability() throws SQLException {
        checkOpen();
        try {
            return raw.getHoldability();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        checkOpen();
        try {
            return raw.setSavepoint();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        checkOpen();
        try {
            return raw.setSavepoint(name);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        checkOpen();
        try {
            raw.rollback(savepoint);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        checkOpen();
        try {
            raw.releaseSavepoint(savepoint);
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
    public Clob createClob() throws SQLException {
        checkOpen();
        try {
            return raw.createClob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Blob createBlob() throws SQLException {
        checkOpen();
        try {
            return raw.createBlob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public NClob createNClob() throws SQLException {
        checkOpen();
        try {
            return raw.createNClob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        checkOpen();
        try {
            return raw.createSQLXML();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        raw.setClientInfo(name, value);
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        raw.setClientInfo(properties);
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        checkOpen();
        try {
            return raw.getClientInfo(name);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        checkOpen();
        try {
            return raw.getClientInfo();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        checkOpen();
        try {
            return raw.createArrayOf(typeName, elements);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        checkOpen();
        try {
            return raw.createStruct(typeName, attributes);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public String getSchema() throws SQLException {
        checkOpen();
        try {
            return raw.getSchema();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        checkOpen();
        try {
            return raw.getNetworkTimeout();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void beginRequest() throws SQLException {
        checkOpen();
        try {
            raw.beginRequest();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void endRequest() throws SQLException {
        checkOpen();
        try {
            raw.endRequest();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey shardingKey, ShardingKey superShardingKey, int timeout) throws SQLException {
        checkOpen();
        try {
            return raw.setShardingKeyIfValid(shardingKey, superShardingKey, timeout);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey shardingKey, int timeout) throws SQLException {
        checkOpen();
        try {
            return raw.setShardingKeyIfValid(shardingKey, timeout);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setShardingKey(ShardingKey shardingKey, ShardingKey superShardingKey) throws SQLException {
        checkOpen();
        try {
            raw.setShardingKey(shardingKey, superShardingKey);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setShardingKey(ShardingKey shardingKey) throws SQLException {
        checkOpen();
        try {
            raw.setShardingKey(shardingKey);
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
