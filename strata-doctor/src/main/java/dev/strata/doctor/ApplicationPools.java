package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.diagnosis.Severity;
import dev.strata.fault.Layer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The triage's L4 as the server sees it: one application instance holding more connections than
 * one pool can means it created several pools (hot reload, a DI scope, a pool per request), and
 * connections without an application name cannot be told apart at all.
 */
final class ApplicationPools {

    private final PostgresTriage.Options options;
    private final Map<Layer, LayerReport> layers;

    ApplicationPools(PostgresTriage.Options options, Map<Layer, LayerReport> layers) {
        this.options = options;
        this.layers = layers;
    }

    /** Connections per application name and client address, against the expected pool size. */
    void check(Connection c) throws SQLException {
        LayerReport l4 = layers.get(Layer.APPLICATION);
        List<Map<String, Object>> groups = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'),"
                     + " count(*), min(backend_start)::text, max(backend_start)::text FROM pg_stat_activity"
                     + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 3 DESC")) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("application", rs.getString(1));
                row.put("client", rs.getString(2));
                row.put("connections", rs.getInt(3));
                groups.add(row);
            }
        }
        l4.observations.put("byApplicationAndClient", groups);
        int unnamed = 0;
        for (Map<String, Object> group : groups) {
            String app = (String) group.get("application");
            int count = (Integer) group.get("connections");
            if (app.isEmpty()) {
                unnamed += count;
                continue;
            }
            if (options.expectedPoolSize() > 0 && count > options.expectedPoolSize()) {
                Map<String, Object> e = new LinkedHashMap<>(group);
                e.put("expectedPoolSize", options.expectedPoolSize());
                e.put("poolsAtLeast", (count + options.expectedPoolSize() - 1) / options.expectedPoolSize());
                l4.findings.add(new Finding("several-pools-one-application", Layer.APPLICATION, Severity.ERROR, app,
                        app + " holds " + count + " connections from " + group.get("client") + ", more than one pool of "
                                + options.expectedPoolSize() + " can: at least " + e.get("poolsAtLeast")
                                + " pools from one instance",
                        e, "create the pool once per process (one registry, one handle per dependency) and close pools"
                                + " that hot reload or a DI scope created again"));
            }
        }
        if (unnamed > 0) {
            l4.findings.add(new Finding("unnamed-connections", Layer.APPLICATION, Severity.INFO, "server",
                    unnamed + " connection(s) carry no application_name, so their pools cannot be told apart",
                    Map.of("connections", unnamed),
                    "set ApplicationName on every data source (pgjdbc property) to the service's name"));
        }
    }
}
