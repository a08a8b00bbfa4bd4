package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Layer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Predicate;

/** Helpers for the diagnoser's scenario tests: one shared PostgreSQL, and waiting for a verdict. */
final class Scenario {

    /** The bound: the first verdict must name the fault within this time of it. */
    static final Duration WITHIN = Duration.ofSeconds(10);

    private Scenario() {
    }

    private static final class Holder {
        static final EmbeddedPostgres PG = start();

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("max_connections", "60")
                        .setServerConfig("fsync", "off")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (IOException ignored) {
                        // exiting anyway
                    }
                }, "diagnosis-postgres-stop"));
                return pg;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static int pgPort() {
        return Holder.PG.getPort();
    }

    static String pgUrl() {
        return "jdbc:postgresql://127.0.0.1:" + pgPort() + "/postgres";
    }

    /** URL of {@code database} on the shared server, created on first use. */
    static String pgUrl(String database) {
        try (Connection c = java.sql.DriverManager.getConnection(pgUrl(), "postgres", "postgres");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
            if (!rs.next()) {
                s.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // created by a concurrent test meanwhile
                throw new IllegalStateException(e);
            }
        }
        return "jdbc:postgresql://127.0.0.1:" + pgPort() + "/" + database;
    }

    static int selectOne(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return 1;
        }
    }

    /**
     * Asks the diagnoser until its first verdict has {@code id}, for at most {@link #WITHIN} after
     * {@code faultAtNanos}; then asserts the first verdict's id and layer (with the whole diagnosis
     * in the failure message).
     */
    static Diagnosis awaitFirst(Diagnoser diagnoser, String id, Layer layer, long faultAtNanos) throws InterruptedException {
        Diagnosis d = await(diagnoser, x -> x.first() != null && x.first().id().equals(id), faultAtNanos, WITHIN);
        assertThat(d.first().layer()).as(d.toText()).isEqualTo(layer);
        assertThat(Duration.ofNanos(System.nanoTime() - faultAtNanos)).isLessThanOrEqualTo(WITHIN);
        return d;
    }

    /**
     * Asks the diagnoser until {@code until} holds, for at most {@code bound} after {@code fromNanos};
     * asserts that it does (with the whole diagnosis in the failure message) and returns that diagnosis.
     */
    static Diagnosis await(Diagnoser diagnoser, Predicate<Diagnosis> until, long fromNanos, Duration bound)
            throws InterruptedException {
        Diagnosis d = diagnoser.diagnose();
        while (!until.test(d) && System.nanoTime() - fromNanos < bound.toNanos()) {
            Thread.sleep(100);
            d = diagnoser.diagnose();
        }
        assertThat(until.test(d)).as("within %s: %s", bound, d.toText()).isTrue();
        return d;
    }
}
