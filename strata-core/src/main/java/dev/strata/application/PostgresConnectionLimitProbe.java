package dev.strata.application;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL's connection limit: {@code SHOW max_connections}.
 *
 * <p>The whole of {@code max_connections} is what the budget is checked against today, although
 * PostgreSQL keeps {@code superuser_reserved_connections} (default 3) of it for superusers, so an
 * ordinary user can open fewer than that; the budget's headroom covers it for now.
 */
final class PostgresConnectionLimitProbe implements ConnectionLimitProbe {

    @Override
    public String urlPrefix() {
        return "jdbc:postgresql";
    }

    @Override
    public String setting() {
        return "max_connections";
    }

    @Override
    public String source() {
        return "SHOW max_connections";
    }

    @Override
    public int maxConnections(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SHOW max_connections")) {
            rs.next();
            return Integer.parseInt(rs.getString(1).trim());
        }
    }
}
