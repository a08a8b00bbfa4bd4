package dev.strata.application;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** One embedded PostgreSQL (max_connections 100) for this package's tests, started once per JVM. */
final class Postgres {

    private static final class Holder {
        static final EmbeddedPostgres SERVER = start();
    }

    private Postgres() {
    }

    private static EmbeddedPostgres start() {
        try {
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "100")
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is exiting; the server's watchdog finishes the job
                }
            }, "embedded-postgres-stop"));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String url() {
        return "jdbc:postgresql://127.0.0.1:" + Holder.SERVER.getPort() + "/postgres";
    }

    /** Backends connected with this application_name, counted from outside any pool. */
    static int backends(String applicationName) throws SQLException {
        try (Connection admin = DriverManager.getConnection(url(), "postgres", "postgres");
             PreparedStatement st = admin.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            st.setString(1, applicationName);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
