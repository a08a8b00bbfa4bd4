package dev.strata.jdbc;

import dev.strata.pool.Pool;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.PoolStats;
import dev.strata.pool.Lease;
import dev.strata.call.Deadline;
import dev.strata.internal.Require;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} backed by a Strata {@link Pool}, for any JDBC driver URL.
 *
 * <p>What it guarantees on top of the pool's own guarantees:
 * <ul>
 *   <li>{@link #getConnection()} waits at most the acquisition timeout (default 1 s) and never
 *       past the current {@link Deadline}; giving up throws an
 *       {@link SQLTransientConnectionException} whose cause is the pool's
 *       {@link FaultKind#POOL_EXHAUSTED} {@link StrataException}.</li>
 *   <li>Connections idle longer than the validation bypass window are validated
 *       ({@link Connection#isValid}, or the validation query if one is set) and dead ones are
 *       replaced before the caller sees them.</li>
 *   <li>Closing a borrowed connection closes its statements, rolls back an open transaction,
 *       restores auto-commit, read-only, isolation, catalog, schema and network timeout, and
 *       returns it; a connection that failed with a connection-class fault is closed instead.</li>
 *   <li>A failure on a connection that was dead before it was used is reported as
 *       {@code NETWORK/stale-connection} with its idle time, never as a query error.</li>
 *   <li>With a deadline current, each statement is cancelled at the deadline, to the millisecond
 *       (the connection stays usable); the driver's network timeout, a short grace later, is the
 *       last resort. Creation waits at most the acquisition timeout or the time left, whatever
 *       the driver.</li>
 *   <li>Inside a pipeline's per-attempt timeout, an attempt that runs out of time gets its
 *       running statement cancelled rather than its thread interrupted, so the connection goes
 *       back to the pool instead of being destroyed.</li>
 *   <li>Every statement, result set and metadata object handed out is a Strata wrapper: every
 *       SQL failure passes one eviction point, a connection that broke during use is evicted
 *       and the exception the borrower catches carries the classified fault (its cause is a
 *       {@link StrataException}), and {@code getConnection()} anywhere returns the pooled
 *       connection, never the driver's.</li>
 * </ul>
 */
public final class StrataDataSource implements DataSource, AutoCloseable {

    private final String url;
    private final Pool<JdbcConnection> pool;
    private volatile PrintWriter logWriter;

    private StrataDataSource(String url, Properties properties, String validationQuery, PoolConfig poolConfig) {
        this.url = url;
        this.pool = Pool.open(poolConfig, new JdbcConnectionFactory(url, properties, validationQuery));
    }

    /** A builder for a data source on {@code jdbcUrl}; the pool is named after {@code name}. */
    public static Builder builder(String name, String jdbcUrl) {
        return new Builder(name, jdbcUrl);
    }

    /**
     * Borrows a connection; close it to give it back.
     *
     * @throws SQLTransientConnectionException when the pool is exhausted or a new connection
     *     cannot be opened (the cause carries the classified fault)
     * @throws SQLNonTransientConnectionException when the data source is closed
     */
    @Override
    public Connection getConnection() throws SQLException {
        Lease<JdbcConnection> lease;
        try {
            lease = pool.acquire();
        } catch (StrataException failure) {
            throw asSqlException(failure);
        }
        try {
            return new PooledConnection(this, lease, Deadline.current());
        } catch (SQLException | RuntimeException failure) {
            lease.close();
            throw failure;
        }
    }

    private static SQLException asSqlException(StrataException failure) {
        String sqlState = failure.getCause() instanceof SQLException sql ? sql.getSQLState() : null;
        if (failure.kind() == FaultKind.RESOURCE_CLOSED) {
            return new SQLNonTransientConnectionException(failure.getMessage(), sqlState, failure);
        }
        return new SQLTransientConnectionException(failure.getMessage(), sqlState, failure);
    }

    /** Not supported: the pool's connections all use the credentials it was built with. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("a pooled data source uses the credentials it was built with");
    }

    /** The pool under this data source, for statistics and pool-aware execution. */
    public Pool<?> pool() {
        return pool;
    }

    /** Shorthand for {@code pool().stats()}. */
    public PoolStats stats() {
        return pool.stats();
    }

    /** The JDBC URL. */
    public String url() {
        return url;
    }

    /** Drains and closes the pool; see {@link Pool#close()}. */
    @Override
    public void close() {
        pool.close();
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    /** Not supported: the acquisition timeout is the pool's and fixed when built. */
    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        throw new SQLFeatureNotSupportedException("set the pool's acquisitionTimeout when building the data source");
    }

    @Override
    public int getLoginTimeout() {
        return (int) JdbcConnectionFactory.ceilSeconds(pool.config().acquisitionTimeout());
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getLogger("dev.strata.resource");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException(getClass().getSimpleName() + " does not wrap " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

    @Override
    public String toString() {
        return "StrataDataSource[" + pool.stats() + "]";
    }

    /** Collects the URL, credentials, driver properties and pool settings. */
    public static final class Builder {
        private final String url;
        private final Properties properties = new Properties();
        private PoolConfig.Builder pool;
        private String validationQuery;

        private Builder(String name, String url) {
            this.url = Require.notBlank("jdbcUrl", url);
            this.pool = PoolConfig.builder(name);
        }

        public Builder user(String user) {
            properties.setProperty("user", Require.nonNull("user", user));
            return this;
        }

        public Builder password(String password) {
            properties.setProperty("password", Require.nonNull("password", password));
            return this;
        }

        /** A driver property, passed to {@link java.sql.Driver#connect} unchanged. */
        public Builder property(String key, String value) {
            properties.setProperty(Require.notBlank("property key", key), Require.nonNull(key, value));
            return this;
        }

        /**
         * A query to validate with instead of {@link Connection#isValid}, bounded to the
         * millisecond by the driver's network timeout ({@code isValid} counts whole seconds).
         */
        public Builder validationQuery(String validationQuery) {
            this.validationQuery = Require.notBlank("validationQuery", validationQuery);
            return this;
        }

        /** Pool settings; the pool keeps the name given to {@link StrataDataSource#builder}. */
        public Builder pool(java.util.function.UnaryOperator<PoolConfig.Builder> settings) {
            this.pool = settings.apply(pool);
            return this;
        }

        /**
         * Opens the data source; the pool starts warming up to its min idle in the background.
         *
         * @throws IllegalArgumentException when a pool setting is invalid
         */
        public StrataDataSource build() {
            return new StrataDataSource(url, properties, validationQuery, pool.build());
        }
    }
}
