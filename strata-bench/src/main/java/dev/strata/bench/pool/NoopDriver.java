package dev.strata.bench.pool;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/** A JDBC driver for {@code jdbc:strata-noop:} URLs whose connections do nothing ({@link NoopConnection}). */
public final class NoopDriver implements Driver {

    public static final String URL = "jdbc:strata-noop:bench";

    static {
        try {
            DriverManager.registerDriver(new NoopDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Makes sure the driver is registered with {@link DriverManager}. */
    public static void register() {
        // the static initializer did the work
    }

    @Override
    public Connection connect(String url, Properties info) {
        return acceptsURL(url) ? new NoopConnection() : null;
    }

    @Override
    public boolean acceptsURL(String url) {
        return url != null && url.startsWith("jdbc:strata-noop:");
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 1;
    }

    @Override
    public int getMinorVersion() {
        return 0;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no logging: the driver does nothing");
    }
}
