package dev.strata.diagnosis;

import static dev.strata.diagnosis.Diagnoser.serverOf;

import dev.strata.fault.Layer;
import dev.strata.pool.PoolConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * L4 from the source's pools, connection budgets and registry: {@code duplicate-pools},
 * {@code connection-budget-exceeded} and {@code configuration-drift}. Their subject is a shared
 * target or server, and they explain the lower-layer verdicts of the dependencies on it.
 */
final class ApplicationRules implements VerdictRule {

    @Override
    public void evaluate(Evidence in, List<Verdict> out) {
        long now = in.clockMillis();
        Map<String, List<DiagnosisSource.PoolView>> byTarget = new LinkedHashMap<>();
        Map<String, List<DiagnosisSource.PoolView>> byServer = new LinkedHashMap<>();
        for (DiagnosisSource.PoolView v : in.source().pools()) {
            if (v.target() != null) {
                byTarget.computeIfAbsent(v.target(), k -> new ArrayList<>()).add(v);
                byServer.computeIfAbsent(serverOf(v.target()), k -> new ArrayList<>()).add(v);
            }
        }
        Set<String> duplicated = new java.util.HashSet<>();
        for (Map.Entry<String, List<DiagnosisSource.PoolView>> e : byTarget.entrySet()) {
            List<DiagnosisSource.PoolView> views = e.getValue();
            if (views.size() < 2) {
                continue;
            }
            String second = views.get(1).dependency();
            duplicated.add(second);
            int open = views.stream().mapToInt(v -> v.pool().stats().total()).sum();
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("target", e.getKey());
            ev.put("pools", views.size());
            ev.put("dependencies", views.stream().map(DiagnosisSource.PoolView::dependency).toList());
            ev.put("openConnections", open);
            ev.put("maxSizes", views.stream().map(v -> v.pool().config().maxSize()).toList());
            out.add(in.verdict("duplicate-pools", Layer.APPLICATION, second,
                    views.size() + " pools to " + e.getKey() + " (" + String.join(", ", views.stream()
                            .map(DiagnosisSource.PoolView::dependency).distinct().toList()) + "), holding " + open
                            + " connections where one pool would do: the one-pool-per-target singleton is broken",
                    ev, now, now, "get the pool from the one registry (strata.dependency(name)) everywhere; close pools"
                            + " created by hot reload or a DI scope",
                    "server-connection-limit", "connection-budget-exceeded", "pool-starvation"));
        }
        for (DiagnosisSource.Duplicate d : in.source().duplicates()) {
            if (duplicated.add(d.dependency())) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("target", d.target());
                ev.put("noticedBy", d.message());
                out.add(in.verdict("duplicate-pools", Layer.APPLICATION, d.dependency(), d.message(), ev, now, now,
                        "get the pool from the one registry (strata.dependency(name)) everywhere",
                        "server-connection-limit", "connection-budget-exceeded", "pool-starvation"));
            }
        }
        Map<String, Integer> limits = new HashMap<>();
        for (DiagnosisSource.ConnectionLimit l : in.source().connectionLimits()) {
            limits.put(l.target(), l.maxConnections());
        }
        for (Map.Entry<String, Integer> limit : limits.entrySet()) {
            List<DiagnosisSource.PoolView> views = in.source().pools().stream().filter(v -> v.target() != null
                    && (v.target().equals(limit.getKey()) || serverOf(v.target()).equals(limit.getKey()))).toList();
            int maxTotal = views.stream().mapToInt(v -> v.pool().config().maxSize()).sum();
            int open = views.stream().mapToInt(v -> v.pool().stats().total()).sum();
            if (maxTotal > limit.getValue() || open > limit.getValue()) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("target", limit.getKey());
                ev.put("budget", limit.getValue());
                ev.put("sumOfMaxSizes", maxTotal);
                ev.put("openConnections", open);
                Map<String, Object> shares = new LinkedHashMap<>();
                for (DiagnosisSource.PoolView v : views) {
                    shares.merge(v.dependency(), v.pool().config().maxSize(), (a, b) -> (Integer) a + (Integer) b);
                }
                ev.put("maxSizeByDependency", shares);
                out.add(in.verdict("connection-budget-exceeded", Layer.APPLICATION, limit.getKey(),
                        "the pools to " + limit.getKey() + " may open " + maxTotal + " connections (" + open + " open now),"
                                + " over its budget of " + limit.getValue(),
                        ev, now, now, "divide the budget between the dependencies of this server (leave 20% headroom for"
                                + " admin and deployments) and size each pool within its share",
                        "server-connection-limit", "pool-starvation"));
            }
        }
        for (Map.Entry<String, List<DiagnosisSource.PoolView>> e : byServer.entrySet()) {
            List<DiagnosisSource.PoolView> views = e.getValue();
            if (views.size() < 2) {
                continue;
            }
            Map<String, Object> drift = drift(views);
            if (!drift.isEmpty()) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("server", e.getKey());
                ev.put("dependencies", views.stream().map(DiagnosisSource.PoolView::dependency).distinct().toList());
                ev.put("differences", drift);
                out.add(in.verdict("configuration-drift", Layer.APPLICATION, e.getKey(),
                        views.size() + " pools to the server " + e.getKey() + " disagree on "
                                + String.join(", ", drift.keySet()) + ": one server, treated by different rules",
                        ev, now, now, "take the settings that follow the server (idle timeout, keepalive, validation,"
                                + " lifetime) from one place, the server's defaults in the config file",
                        "stale-connections-after-idle", "dead-flows-blackhole"));
            }
        }
    }

    private static Map<String, Object> drift(List<DiagnosisSource.PoolView> views) {
        Map<String, java.util.function.Function<PoolConfig, Object>> fields = new LinkedHashMap<>();
        fields.put("idleTimeout", c -> c.idleTimeout().toMillis());
        fields.put("maxLifetime", c -> c.maxLifetime().toMillis());
        fields.put("keepaliveInterval", c -> c.keepaliveInterval().toMillis());
        fields.put("validateIdle", PoolConfig::validateIdle);
        fields.put("validationTimeout", c -> c.validationTimeout().toMillis());
        fields.put("acquisitionTimeout", c -> c.acquisitionTimeout().toMillis());
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, java.util.function.Function<PoolConfig, Object>> f : fields.entrySet()) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (DiagnosisSource.PoolView v : views) {
                values.put(v.dependency() + (values.containsKey(v.dependency()) ? "#" + values.size() : ""),
                        f.getValue().apply(v.pool().config()));
            }
            if (new LinkedHashSet<>(values.values()).size() > 1) {
                out.put(f.getKey() + (f.getKey().equals("validateIdle") ? "" : "Millis"), values);
            }
        }
        return out;
    }
}
