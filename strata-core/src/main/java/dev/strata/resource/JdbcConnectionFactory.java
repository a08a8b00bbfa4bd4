package dev.strata.resource;

import dev.strata.call.Deadline;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executor;

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
        if (deadline != null && url.startsWith("jdbc:postgresql:")) {
            // pgjdbc bounds DNS + connect + login by loginTimeout (whole seconds); JDBC has no
            // portable per-connection equivalent, so other drivers keep their own settings.
            String seconds = Long.toString(ceilSeconds(deadline.remaining()));
            connectProperties.putIfAbsent("loginTimeout", seconds);
            connectProperties.putIfAbsent("connectTimeout", seconds);
        }
        Driver driver = DriverManager.getDriver(url);
        Connection raw = driver.connect(url, connectProperties);
        if (raw == null) {
            throw new SQLException("no JDBC driver accepts " + url, "08001");
        }
        try {
            return new JdbcConnection(raw, raw.isReadOnly(), raw.getTransactionIsolation(), raw.getCatalog(),
                    raw.getSchema(), raw.getNetworkTimeout());
        } catch (SQLException | RuntimeException failure) {
            closeQuietly(raw);
            throw failure;
        }
    }

    @Override
    public boolean validate(JdbcConnection connection, Duration timeout) {
        Connection raw = connection.raw();
        try {
            if (validationQuery == null) {
                return raw.isValid((int) ceilSeconds(timeout));
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
