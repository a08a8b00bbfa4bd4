package dev.strata.jdbc.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What the generated JDBC wrappers ({@code JdbcStatement}, {@code JdbcResultSet}, ...) ask of
 * the pooled connection they belong to. One implementation: {@code dev.strata.jdbc.PooledConnection}.
 */
public interface JdbcHooks {

    /** The single eviction and translation point for every SQL failure on this connection. */
    SQLException translate(SQLException failure);

    /** The pooled connection, handed out instead of the driver's by every {@code getConnection()}. */
    Connection connection();

    /** Wraps a driver result set (null stays null); {@code owner} is what its getStatement() returns. */
    ResultSet resultSet(Statement owner, ResultSet raw);

    /**
     * An {@code execute*} of the driver statement {@code raw} is about to block: register its
     * cancellation (per-attempt timeout, deadline). Returns a token for {@link #afterExecute}.
     *
     * @throws SQLException when there is no time left to run it
     */
    Object beforeExecute(Statement raw) throws SQLException;

    /** The execution registered by {@link #beforeExecute} ended. */
    void afterExecute(Object execution);

    /** The borrower closed the driver statement {@code raw}. */
    void closed(Statement raw);
}
