package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.diagnosis.Severity;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server settings that decide whether pooled connections survive (idle session and
 * idle-in-transaction timeouts, statement timeout, keepalives), read from {@code pg_settings} and
 * judged together with this host's kernel keepalive ({@link KernelKeepalive}).
 */
final class ServerSettings {

    /** Typical idle limit of a NAT gateway or cloud load balancer (AWS NAT: 350 s), for the kernel check. */
    static final Duration TYPICAL_PATH_IDLE_LIMIT = Duration.ofSeconds(350);

    private ServerSettings() {
    }

    /** Reads the settings the triage judges into {@code server}, each value with its unit. */
    static void read(Connection c, Map<String, Object> server) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT name, setting, unit FROM pg_settings WHERE name IN ('max_connections',"
                        + " 'superuser_reserved_connections', 'idle_session_timeout', 'idle_in_transaction_session_timeout',"
                        + " 'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'statement_timeout',"
                        + " 'server_version') ORDER BY name");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                String unit = rs.getString(3);
                String value = rs.getString(2);
                server.put(rs.getString(1), unit == null ? value : value + unit);
            }
        }
    }

    /** Milliseconds of a pg_settings value with its unit (ms or s), or -1 when absent. */
    static long settingMillis(Map<String, Object> server, String name) {
        Object raw = server.get(name);
        if (raw == null) {
            return -1;
        }
        String text = raw.toString();
        if (text.endsWith("ms")) {
            return Long.parseLong(text.substring(0, text.length() - 2));
        }
        if (text.endsWith("s")) {
            return Long.parseLong(text.substring(0, text.length() - 1)) * 1000;
        }
        if (text.endsWith("min")) {
            return Long.parseLong(text.substring(0, text.length() - 3)) * 60_000;
        }
        return Long.parseLong(text);
    }

    /** Findings from the server's timeouts and this host's keepalive, on the layers they hurt. */
    static void judge(Map<String, Object> server, Map<String, Object> kernel, Map<Layer, LayerReport> layers) {
        LayerReport l1 = layers.get(Layer.NETWORK);
        long idleSession = settingMillis(server, "idle_session_timeout");
        if (idleSession > 0) {
            l1.findings.add(new Finding("server-idle-session-timeout", Layer.NETWORK, Severity.WARNING, "server",
                    "the server closes sessions idle longer than " + Durations.format(Duration.ofMillis(idleSession))
                            + "; a pooled connection idle that long is dead when lent (TCP keepalives do not reset this timer)",
                    Map.of("idleSessionTimeoutMillis", idleSession),
                    "set every pool's idle timeout below " + Durations.format(Duration.ofMillis(idleSession * 5 / 6))
                            + " (5/6 of it) and validate connections idle longer than a few seconds"));
        }
        if (kernel.get("tcp_keepalive_time") instanceof Long time && kernel.get("tcp_keepalive_intvl") instanceof Long intvl
                && kernel.get("tcp_keepalive_probes") instanceof Long probes) {
            long detection = time + intvl * probes;
            l1.observations.put("kernelDeadPeerDetectionSeconds", detection);
            if (time >= TYPICAL_PATH_IDLE_LIMIT.toSeconds()) {
                Map<String, Object> evidence = new LinkedHashMap<>();
                evidence.put("tcpKeepaliveTimeSeconds", time);
                evidence.put("tcpKeepaliveIntvlSeconds", intvl);
                evidence.put("tcpKeepaliveProbes", probes);
                evidence.put("deadPeerDetectionSeconds", detection);
                evidence.put("typicalPathIdleLimitSeconds", TYPICAL_PATH_IDLE_LIMIT.toSeconds());
                l1.findings.add(new Finding("kernel-keepalive-above-path-idle", Layer.NETWORK, Severity.WARNING, "local kernel",
                        "this host's first keepalive goes out after " + time + " s; a NAT or load balancer that forgets idle"
                                + " flows after " + TYPICAL_PATH_IDLE_LIMIT.toSeconds() + " s black-holes the flow first,"
                                + " and a dead peer is noticed only after " + detection + " s",
                        evidence,
                        "set keepalive per socket (Strata's KeepaliveOptions, e.g. idle 20 s, interval 5 s, count 3) or"
                                + " lower net.ipv4.tcp_keepalive_time below the path's idle limit"));
            }
        }
        long serverKeepaliveIdle = settingMillis(server, "tcp_keepalives_idle");
        if (serverKeepaliveIdle == 0) {
            l1.observations.put("serverTcpKeepalivesIdle", "0 = the server host's kernel default");
        }
        LayerReport l2 = layers.get(Layer.RESOURCE);
        if (settingMillis(server, "idle_in_transaction_session_timeout") == 0) {
            l2.findings.add(new Finding("no-idle-in-transaction-timeout", Layer.RESOURCE, Severity.WARNING, "server",
                    "idle_in_transaction_session_timeout is 0: a transaction a leaking code path leaves open holds its"
                            + " connection and its locks forever",
                    Map.of("idleInTransactionSessionTimeoutMillis", 0),
                    "set idle_in_transaction_session_timeout (e.g. 60s) for the application's role, and fix the leak"));
        }
        if (settingMillis(server, "statement_timeout") == 0) {
            layers.get(Layer.RESILIENCE).findings.add(new Finding("no-statement-timeout", Layer.RESILIENCE, Severity.WARNING,
                    "server", "statement_timeout is 0: a slow query holds its pooled connection as long as it runs",
                    Map.of("statementTimeoutMillis", 0),
                    "set statement_timeout for the application's role below the call's deadline"));
        }
    }
}
