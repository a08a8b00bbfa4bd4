package dev.strata.application;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Reads a database server's real connection limit, for the connection budget checked at
 * {@link Strata#start()}: one implementation per kind of database, chosen by the JDBC URL's prefix.
 * A database without a probe is checked only against the declared limit, when the runtime is built.
 * Plain {@code java.sql}: core stays free of drivers.
 */
interface ConnectionLimitProbe {

    /** The known probes; the first whose {@link #urlPrefix()} matches a pool's target reads its server. */
    List<ConnectionLimitProbe> KNOWN = List.of(new PostgresConnectionLimitProbe());

    /**
     * The JDBC URL prefix of the databases this probe reads, as {@link PoolTarget#kind()} writes it
     * (lower case, e.g. {@code jdbc:postgresql}). A URL {@link PoolTarget} could not reduce to one
     * {@code host:port} (a multi-host URL) has kind {@code jdbc} and gets no probe: there is no one
     * server to ask.
     */
    String urlPrefix();

    /** The setting read, as messages name it, e.g. {@code max_connections}. */
    String setting();

    /** How the limit is read, as {@link ConnectionBudget.Check#source()} names it, e.g. {@code SHOW max_connections}. */
    String source();

    /**
     * The server's connection limit, read on {@code connection} (borrowed for this and closed by
     * the caller).
     *
     * @throws SQLException when the server does not answer; a malformed answer may throw a RuntimeException
     */
    int maxConnections(Connection connection) throws SQLException;

    /** The probe for the server of {@code target}, if its kind of database has one. */
    static Optional<ConnectionLimitProbe> forTarget(PoolTarget target) {
        for (ConnectionLimitProbe probe : KNOWN) {
            if (target.kind().equals(probe.urlPrefix())) {
                return Optional.of(probe);
            }
        }
        return Optional.empty();
    }
}
