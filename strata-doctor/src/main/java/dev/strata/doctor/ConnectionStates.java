package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.diagnosis.Severity;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The triage's L2, from {@code pg_stat_activity}: how many of the usable connections are open
 * and in which state, sessions idle in transaction longer than the limit (a leak), and queries
 * active longer than the limit (each holding a pooled connection). The triage's own session is
 * left out of the lists but counted against the limit.
 */
final class ConnectionStates {

    private final PostgresTriage.Options options;
    private final Map<Layer, LayerReport> layers;

    ConnectionStates(PostgresTriage.Options options, Map<Layer, LayerReport> layers) {
        this.options = options;
        this.layers = layers;
    }

    /** Connections by state against the usable limit, then the leaked transactions and the long queries. */
    void check(Connection c, Map<String, Object> server) throws SQLException {
        LayerReport l2 = layers.get(Layer.RESOURCE);
        int max = Integer.parseInt(String.valueOf(server.getOrDefault("max_connections", "0")));
        int reserved = Integer.parseInt(String.valueOf(server.getOrDefault("superuser_reserved_connections", "0")));
        int usable = Math.max(1, max - reserved);
        Map<String, Object> byState = new LinkedHashMap<>();
        int total = 0;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity"
                     + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 2 DESC")) {
            while (rs.next()) {
                byState.put(rs.getString(1), rs.getInt(2));
                total += rs.getInt(2);
            }
        }
        l2.observations.put("connections", total);
        l2.observations.put("byState", byState);
        l2.observations.put("maxConnections", max);
        l2.observations.put("superuserReserved", reserved);
        double used = (total + 1.0) / usable; // + 1: this triage's own session counts against the limit too
        l2.observations.put("usedPercent", Math.round(used * 1000) / 10.0);
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("connections", total + 1);
        evidence.put("usable", usable);
        evidence.put("maxConnections", max);
        evidence.put("byState", byState);
        if (used >= 0.9) {
            l2.findings.add(new Finding("near-connection-limit", Layer.RESOURCE, Severity.ERROR, "server",
                    (total + 1) + " of " + usable + " usable connections are open (" + Math.round(used * 100)
                            + "%): new logins will fail with 53300",
                    evidence,
                    "find who holds them (idle in transaction = leak; one application with several pools = L4) before"
                            + " raising max_connections; budget connections across services, keep 20% headroom"));
        } else if (used > 0.6) {
            l2.findings.add(new Finding("connections-above-60-percent", Layer.RESOURCE, Severity.WARNING, "server",
                    (total + 1) + " of " + usable + " usable connections are open (" + Math.round(used * 100) + "%)",
                    evidence, "keep the total under 60% of max_connections: budget the pools of every service"));
        }
        List<Map<String, Object>> stuck = sessionsOlderThan(c, "idle in transaction", options.idleInTransactionLimit());
        if (!stuck.isEmpty()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("count", stuck.size());
            e.put("limitMillis", options.idleInTransactionLimit().toMillis());
            e.put("sessions", stuck);
            l2.findings.add(new Finding("idle-in-transaction", Layer.RESOURCE, Severity.ERROR, "server",
                    stuck.size() + " session(s) idle in transaction for longer than "
                            + Durations.format(options.idleInTransactionLimit()) + ", oldest " + stuck.getFirst().get("seconds")
                            + " s from " + stuck.getFirst().get("application") + ": a code path borrowed a connection,"
                            + " began a transaction and never finished it",
                    e,
                    "find the code path by its last query (in the evidence); return connections in finally/try-with-resources;"
                            + " turn on the pool's leak detection; set idle_in_transaction_session_timeout"));
        }
        List<Map<String, Object>> slow = sessionsOlderThan(c, "active", options.longHeldLimit());
        if (!slow.isEmpty()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("count", slow.size());
            e.put("limitMillis", options.longHeldLimit().toMillis());
            e.put("sessions", slow);
            l2.findings.add(new Finding("long-running-queries", Layer.RESOURCE, Severity.WARNING, "server",
                    slow.size() + " quer" + (slow.size() == 1 ? "y has" : "ies have") + " been running for longer than "
                            + Durations.format(options.longHeldLimit()) + ", each holding a pooled connection",
                    e, "bound queries with statement_timeout below the caller's deadline; look at the plans of these queries"));
        }
    }

    private static List<Map<String, Object>> sessionsOlderThan(Connection c, String state, Duration limit) throws SQLException {
        List<Map<String, Object>> sessions = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT pid, coalesce(application_name, ''), coalesce(host(client_addr), 'local'),"
                        + " extract(epoch FROM now() - state_change)::float8, left(query, 200)"
                        + " FROM pg_stat_activity WHERE state = ? AND pid <> pg_backend_pid()"
                        + " AND now() - state_change > make_interval(secs => ?) ORDER BY state_change LIMIT 20")) {
            s.setString(1, state);
            s.setDouble(2, limit.toMillis() / 1000.0);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("pid", rs.getInt(1));
                    row.put("application", rs.getString(2));
                    row.put("client", rs.getString(3));
                    row.put("seconds", Math.round(rs.getDouble(4) * 10) / 10.0);
                    row.put("query", rs.getString(5));
                    sessions.add(row);
                }
            }
        }
        return sessions;
    }
}
