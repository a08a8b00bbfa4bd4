package dev.strata.jdbc;

import dev.strata.pool.ResourceFactory;
import dev.strata.call.Deadline;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import dev.strata.internal.Durations;
import dev.strata.internal.UserInfo;
import java.net.SocketTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Opens, validates and closes physical connections for a {@link StrataDataSource}. */
final class JdbcConnectionFactory implements ResourceFactory<JdbcConnection> {

    /** setNetworkTimeout needs an executor; ours only ever runs the driver's own cleanup inline. */
    static final Executor DIRECT = Runnable::run;

    private final String url;
    private final Properties properties;
    private final String validationQuery;

    JdbcConnectionFactory(String url, Properties properties, String validationQuery) {
        this.url = url;
        this.properties = properties;
        this.validationQuery = validationQuery;
    }

    @Override
    public JdbcConnection create() throws SQLException {
        Properties connectProperties = new Properties();
        connectProperties.putAll(properties);
        Deadline deadline = Deadline.current();
        Driver driver = DriverManager.getDriver(url);
        Connection raw;
        if (deadline == null) {
            raw = driver.connect(url, connectProperties);
        } else if (url.startsWith("jdbc:postgresql:")) {
            // pgjdbc bounds DNS + connect + login by loginTimeout, read as fractional seconds:
            // the borrower's budget to the millisecond. Its TCP connectTimeout is whole seconds
            // only, and loginTimeout bounds it anyway.
            long millis = Math.max(1, deadline.remaining().toMillis());
            connectProperties.putIfAbsent("loginTimeout", String.format(Locale.ROOT, "%.3f", millis / 1000.0));
            connectProperties.putIfAbsent("connectTimeout", Long.toString(ceilSeconds(deadline.remaining())));
            raw = driver.connect(url, connectProperties);
        } else {
            // JDBC has no portable per-connection connect bound and creation runs on the borrower's
            // thread: connect on a virtual thread and wait no longer than the budget.
            raw = connectWithin(driver, connectProperties, deadline.remaining());
        }
        if (raw == null) {
            throw new SQLException("no JDBC driver accepts " + UserInfo.mask(url), "08001");
        }
        try {
            return new JdbcConnection(raw, raw.isReadOnly(), raw.getTransactionIsolation(), raw.getCatalog(),
                    raw.getSchema(), raw.getNetworkTimeout());
        } catch (SQLException | RuntimeException failure) {
            closeQuietly(raw);
            throw failure;
        }
    }

    /**
     * Connects on a virtual thread, waiting at most {@code budget}. When the budget runs out the
     * connect is interrupted (a virtual thread blocked in a socket gets it closed) and a
     * connection that still arrives later is closed, never leaked.
     */
    private Connection connectWithin(Driver driver, Properties connectProperties, Duration budget) throws SQLException {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        Thread connector = Thread.ofVirtual().name("strata-jdbc-connect").start(() -> {
            try {
                Connection connection = driver.connect(url, connectProperties);
                if (!result.complete(connection) && connection != null) {
                    closeQuietly(connection); // the borrower gave up: nobody will use it
                }
            } catch (Throwable failure) {
                result.completeExceptionally(failure);
            }
        });
        try {
            return result.get(Math.max(1L, budget.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException timedOut) {
            if (!result.completeExceptionally(timedOut)) {
                return joinCompleted(result); // it arrived just now
            }
            connector.interrupt();
            SocketTimeoutException cause = new SocketTimeoutException("connect timed out after " + Durations.format(budget.toNanos()));
            throw new SQLTransientConnectionException("could not connect to " + UserInfo.mask(url) + " within " + Durations.format(budget.toNanos())
                    + " (the borrower's budget)", "08001", cause);
        } catch (InterruptedException interrupted) {
            if (!result.completeExceptionally(interrupted)) {
                closeQuietly(joinCompleted(result));
            }
            connector.interrupt();
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted while connecting to " + UserInfo.mask(url), "08001", interrupted);
        } catch (ExecutionException failed) {
            throw rethrow(failed.getCause());
        }
    }

    private static Connection joinCompleted(CompletableFuture<Connection> done) throws SQLException {
        try {
            return done.getNow(null);
        } catch (CompletionException failed) {
            throw rethrow(failed.getCause());
        }
    }

    private static SQLException rethrow(Throwable failure) {
        if (failure instanceof SQLException sql) {
            return sql;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new SQLException("connect failed: " + failure, "08001", failure);
    }

    @Override
    public boolean validate(JdbcConnection connection, Duration timeout) {
        Connection raw = connection.raw();
        try {
            if (validationQuery == null) {
                return isValidWithin(raw, timeout);
            }
            raw.setNetworkTimeout(DIRECT, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            try (Statement statement = raw.createStatement()) {
                statement.execute(validationQuery);
            } finally {
                raw.setNetworkTimeout(DIRECT, connection.networkTimeoutMillis());
            }
            return true;
        } catch (SQLException | RuntimeException failure) {
            return false;
        }
    }

    /**
     * {@link Connection#isValid} counts whole seconds, so 50 ms would become 1 s. A whole number of
     * seconds goes to the driver as is; anything else is waited for to the millisecond on a
     * virtual thread, and a connection that does not answer in time is aborted (it is not valid,
     * and the abort ends the driver's wait).
     */
    static boolean isValidWithin(Connection raw, Duration timeout) throws SQLException {
        long millis = Math.max(1, timeout.toMillis());
        if (millis % 1000 == 0) {
            return raw.isValid((int) Math.min(Integer.MAX_VALUE, millis / 1000));
        }
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        Thread.ofVirtual().name("strata-jdbc-isvalid").start(() -> {
            try {
                answer.complete(raw.isValid((int) ceilSeconds(timeout)));
            } catch (Throwable failure) {
                answer.complete(false);
            }
        });
        try {
            return answer.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException notInTime) {
            answer.complete(false);
            raw.abort(DIRECT);
            return false;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close(JdbcConnection connection) {
        closeQuietly(connection.raw());
    }

    private static void closeQuietly(Connection raw) {
        try {
            raw.close();
        } catch (SQLException | RuntimeException ignored) {
            // a dead connection may fail to say goodbye; its socket is closed regardless
        }
    }

    static long ceilSeconds(Duration duration) {
        long millis = Math.max(1, duration.toMillis());
        return Math.max(1, (millis + 999) / 1000);
    }
}
