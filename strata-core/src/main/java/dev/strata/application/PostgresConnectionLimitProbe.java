package dev.strata.application;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL's connection limit for an application user: {@code max_connections} less
 * {@code superuser_reserved_connections} (default 3), which an ordinary user can never open;
 * the doctor's triage counts the same way.
 */
final class PostgresConnectionLimitProbe implements ConnectionLimitProbe {

    @Override
    public String urlPrefix() {
        return "jdbc:postgresql";
    }

    @Override
    public String setting() {
        return "max_connections - superuser_reserved_connections";
    }

    @Override
    public String source() {
        return "SHOW max_connections; SHOW superuser_reserved_connections";
    }

    @Override
    public int maxConnections(Connection connection) throws SQLException {
        int max = show(connection, "max_connections");
        int reserved = show(connection, "superuser_reserved_connections");
        return Math.max(0, max - reserved);
    }

    private static int show(Connection connection, String setting) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return Integer.parseInt(rs.getString(1).trim());
        }
    }
}
