package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Layer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each triage condition made real on an embedded PostgreSQL with small limits. */
class PostgresTriageTest {

    private static EmbeddedPostgres server;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        server = EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "20")
                .setServerConfig("superuser_reserved_connections", "3")
                .setServerConfig("idle_session_timeout", "45000")
                .setServerConfig("idle_in_transaction_session_timeout", "0")
                .setServerConfig("statement_timeout", "0")
                .setServerConfig("fsync", "off")
                .start();
        url = "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/postgres";
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static Connection open(String applicationName) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", "postgres");
        p.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(url, p);
    }

    private static PostgresTriage.Options options() {
        return PostgresTriage.Options.of(url, "postgres", "postgres");
    }

    @Test
    void healthyServerReportsEveryLayerAndTheTrapSettings(@org.junit.jupiter.api.io.TempDir Path procSys) throws Exception {
        Files.createDirectories(procSys.resolve("net/ipv4"));
        Files.writeString(procSys.resolve("net/ipv4/tcp_keepalive_time"), "7200\n");
        Files.writeString(procSys.resolve("net/ipv4/tcp_keepalive_intvl"), "75\n");
        Files.writeString(procSys.resolve("net/ipv4/tcp_keepalive_probes"), "9\n");
        PostgresTriage.Options o = options();
        o = new PostgresTriage.Options(o.jdbcUrl(), o.user(), o.password(), o.connectTimeout(), o.idleInTransactionLimit(),
                o.longHeldLimit(), 0, procSys);

        TriageReport report = PostgresTriage.run(o);

        assertThat(report.healthy()).as(report.toText()).isTrue();
        assertThat(report.layers()).extracting(TriageReport.LayerResult::layer)
                .containsExactly(Layer.NETWORK, Layer.RESOURCE, Layer.RESILIENCE, Layer.APPLICATION);
        TriageReport.LayerResult l1 = report.layers().getFirst();
        assertThat(l1.observations()).containsKeys("dnsMillis", "tcpConnectMillis", "loginMillis", "select1MedianMillis");
        assertThat(report.serverSettings()).containsEntry("idle_session_timeout", "45000ms")
                .containsKeys("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "statement_timeout");
        assertThat(report.kernelKeepalive()).containsEntry("tcp_keepalive_time", 7200L);
        Finding idle = report.finding("server-idle-session-timeout");
        assertThat(idle.layer()).isEqualTo(Layer.NETWORK);
        assertThat(idle.evidence()).containsEntry("idleSessionTimeoutMillis", 45000L);
        Finding keepalive = report.finding("kernel-keepalive-above-path-idle");
        assertThat(keepalive.evidence()).containsEntry("deadPeerDetectionSeconds", 7875L);
        assertThat(report.finding("no-idle-in-transaction-timeout").layer()).isEqualTo(Layer.RESOURCE);
        assertThat(report.finding("no-statement-timeout").layer()).isEqualTo(Layer.RESILIENCE);
        assertThat(report.toText()).contains("SELECT 1: median ").contains(" ms, max ")
                .contains("tcp_keepalive_time 7200 s (2 h 0 min)").doesNotContain("select1MedianMillis");
        assertThat(report.toJson()).startsWith("{\"target\":\"127.0.0.1:" + server.getPort() + "\",\"healthy\":true,\"stoppedAt\":null");
    }

    @Test
    void leakedTransactionStopsAtL2WithItsQuery() throws Exception {
        try (Connection leaked = open("orders-api")) {
            leaked.setAutoCommit(false);
            try (Statement s = leaked.createStatement()) {
                s.execute("SELECT 42 AS leaked_marker");
            }
            Thread.sleep(1_200); // older than the limit below: the leak is real, not staged

            TriageReport report = PostgresTriage.run(options().withLimits(Duration.ofSeconds(1), Duration.ofSeconds(30)));

            assertThat(report.stoppedAt()).as(report.toText()).isEqualTo(Layer.RESOURCE);
            Finding leak = report.finding("idle-in-transaction");
            assertThat(leak.severity()).isEqualTo(Severity.ERROR);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sessions = (List<Map<String, Object>>) leak.evidence().get("sessions");
            assertThat(sessions).singleElement().satisfies(row -> {
                assertThat(row.get("application")).isEqualTo("orders-api");
                assertThat((String) row.get("query")).contains("leaked_marker");
                assertThat((Double) row.get("seconds")).isGreaterThanOrEqualTo(1.0);
            });
            assertThat(report.toText()).contains("STOP at L2");
            leaked.rollback();
        }
    }

    @Test
    void longRunningQueryIsReportedAsHeldConnection() throws Exception {
        try (Connection busy = open("reports")) {
            Thread sleeper = Thread.ofVirtual().start(() -> {
                try (Statement s = busy.createStatement()) {
                    s.execute("SELECT pg_sleep(3)");
                } catch (Exception ignored) {
                    // cancelled at the end of the test
                }
            });
            Thread.sleep(1_200);
            TriageReport report = PostgresTriage.run(options().withLimits(Duration.ofSeconds(30), Duration.ofSeconds(1)));
            Finding slow = report.finding("long-running-queries");
            assertThat(slow).as(report.toText()).isNotNull();
            assertThat(slow.evidence().get("count")).isEqualTo(1);
            sleeper.join(Duration.ofSeconds(10));
        }
    }

    @Test
    void nearTheConnectionLimitStopsAtL2AndL4StillSeesSeveralPools() throws Exception {
        List<Connection> held = new ArrayList<>();
        try {
            // usable = 20 - 3 reserved = 17; 15 held + the triage's own = 16 -> 94%
            for (int i = 0; i < 15; i++) {
                held.add(open("orders-api"));
            }
            TriageReport report = PostgresTriage.run(options().withExpectedPoolSize(5));

            assertThat(report.stoppedAt()).as(report.toText()).isEqualTo(Layer.RESOURCE);
            Finding limit = report.finding("near-connection-limit");
            assertThat(limit.evidence()).containsEntry("connections", 16).containsEntry("usable", 17);
            Finding pools = report.finding("several-pools-one-application");
            assertThat(pools.layer()).isEqualTo(Layer.APPLICATION);
            assertThat(pools.evidence()).containsEntry("connections", 15).containsEntry("poolsAtLeast", 3);
            assertThat(report.toJson()).contains("\"layer\":\"APPLICATION\",\"status\":\"error\",\"afterStop\":true");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void atTheLimitTheLoginItselfIsRefusedWith53300() throws Exception {
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 17; i++) {
                Properties p = new Properties();
                p.setProperty("user", "postgres");
                p.setProperty("password", "postgres");
                held.add(DriverManager.getConnection(url, p));
            }
            // the superuser may still use the reserved slots, so log in as an ordinary role
            try (Statement s = held.getFirst().createStatement()) {
                s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN"
                        + " CREATE ROLE app LOGIN PASSWORD 'app'; END IF; END $$");
            }
            TriageReport report = PostgresTriage.run(PostgresTriage.Options.of(url, "app", "app"));
            assertThat(report.stoppedAt()).as(report.toText()).isEqualTo(Layer.RESOURCE);
            assertThat(report.finding("server-connection-limit").evidence()).containsEntry("sqlState", "53300");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void refusedPortStopsAtL1AndSkipsTheRest() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        TriageReport report = PostgresTriage.run(
                PostgresTriage.Options.of("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "postgres"));
        assertThat(report.stoppedAt()).isEqualTo(Layer.NETWORK);
        assertThat(report.finding("connect-refused")).isNotNull();
        assertThat(report.layers().get(1).status()).isEqualTo("not-run");
    }

    @Test
    void unresolvableHostIsADnsFailure() {
        TriageReport report = PostgresTriage.run(
                PostgresTriage.Options.of("jdbc:postgresql://no-such-host.invalid:5432/postgres", "postgres", "postgres"));
        assertThat(report.stoppedAt()).isEqualTo(Layer.NETWORK);
        assertThat(report.finding("dns-failure").evidence()).containsEntry("host", "no-such-host.invalid");
    }

    @Test
    void badUrlIsRejectedNamingTheField() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> PostgresTriage.Options.of("jdbc:mysql://x/y", null, null))
                .withMessageContaining("jdbcUrl").withMessageContaining("jdbc:mysql://x/y");
    }
}
