package dev.strata.dashboard;

import dev.strata.internal.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Turns the {@code strata.*} meters of a registry into the dashboard's four layer panels, each
 * with its rows, its chart series and a status by the rules in {@code docs/metrics.md}. Counters
 * become per-second rates over the last {@value DashboardFeed#RATE_WINDOW_SECONDS} seconds, from
 * the totals each sample keeps, so a status does not flicker between samples.
 */
final class LayerPanels {

    /** Samples: compact; four significant digits; NaN as null (a gap); {@code <} escaped for embedding in a page. */
    private static final Json.Style SAMPLE_JSON = new Json.Style(Json.wholeOr("%.4g"), false, true);

    private final MeterRegistry registry;
    private final Supplier<Map<String, Object>> l4Info;
    private final Supplier<List<Map<String, Object>>> verdicts;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Totals> totals = new ArrayDeque<>();

    private record Totals(long nanos, Map<String, Double> values) {
    }

    LayerPanels(MeterRegistry registry, Supplier<Map<String, Object>> l4Info, Supplier<List<Map<String, Object>>> verdicts) {
        this.registry = registry;
        this.l4Info = l4Info;
        this.verdicts = verdicts;
    }

    /** One sample as JSON: every {@code strata.*} meter read once, grouped into the four panels. */
    String sample() {
        long now = System.nanoTime();
        Map<String, Double> current = new HashMap<>();
        Map<String, Map<String, Object>> l1 = new TreeMap<>();
        Map<String, Map<String, Object>> l2 = new TreeMap<>();
        Map<String, Map<String, Object>> limiters = new TreeMap<>();
        Map<String, Map<String, Object>> l3 = new TreeMap<>();
        Map<String, Object> runtime = new LinkedHashMap<>();
        List<Meter> meters = registry.getMeters();
        for (Meter m : meters) {
            String name = m.getId().getName();
            if (!name.startsWith("strata.")) {
                continue;
            }
            String dep = Objects.requireNonNullElse(m.getId().getTag("dependency"), "-");
            String layer = m.getId().getTag("layer");
            switch (m) {
                case Counter c -> current.merge(key(name, m), c.count(), Double::sum);
                case FunctionCounter c -> current.merge(key(name, m), c.count(), Double::sum);
                case Timer t -> current.merge(key(name, m), (double) t.count(), Double::sum);
                default -> {
                }
            }
            if (name.startsWith("strata.pool.") || name.startsWith("strata.faults")) {
                row(l1, dep);
            }
            if (name.startsWith("strata.pool.")) {
                Map<String, Object> pool = row(l2, dep);
                switch (name) {
                    case "strata.pool.connections.active" -> pool.put("active", gauge(m));
                    case "strata.pool.connections.idle" -> pool.put("idle", gauge(m));
                    case "strata.pool.connections.pending" -> pool.put("pending", gauge(m));
                    case "strata.pool.connections.max" -> pool.put("max", gauge(m));
                    case "strata.pool.connections.total" -> pool.put("total", gauge(m));
                    case "strata.pool.connections.wait" -> {
                        if ("0.99".equals(m.getId().getTag("quantile")) && m instanceof TimeGauge g) {
                            pool.put("waitP99Ms", g.value(TimeUnit.MILLISECONDS));
                        }
                    }
                    default -> {
                    }
                }
            } else if (name.startsWith("strata.circuitbreaker.state")) {
                if (gauge(m) >= 1) {
                    row(l3, dep).put("breaker", m.getId().getTag("state").toUpperCase(Locale.ROOT));
                }
            } else if (name.equals("strata.circuitbreaker.failure.rate")) {
                row(l3, dep).put("failureRate", gauge(m));
            } else if (name.equals("strata.retry.budget.available")) {
                row(l3, dep).put("budget", gauge(m));
            } else if (name.equals("strata.bulkhead.active")) {
                row(l3, dep).put("bulkheadActive", gauge(m));
            } else if (name.equals("strata.bulkhead.max")) {
                row(l3, dep).put("bulkheadMax", gauge(m));
            } else if (name.equals("strata.adaptive.limit.in.flight")) {
                row(l3, dep).put("bulkheadActive", gauge(m)); // an adaptive limit fills the bulkhead column: in flight / limit
            } else if (name.equals("strata.adaptive.limit")) {
                row(l3, dep).put("bulkheadMax", gauge(m));
                row(l3, dep).put("limit", "adaptive");
            } else if (name.equals("strata.throttle.probability")) {
                row(l3, dep).put("throttle", gauge(m));
            } else if (name.startsWith("strata.calls") || name.equals("strata.fallbacks")) {
                row(l3, dep);
            } else if (name.equals("strata.runtime.state")) {
                if (gauge(m) >= 1) {
                    runtime.put("state", m.getId().getTag("state").toUpperCase(Locale.ROOT));
                }
            } else if (name.equals("strata.runtime.in.flight")) {
                runtime.put("inFlight", gauge(m));
            } else if (name.equals("strata.runtime.dependencies")) {
                runtime.put("dependencies", gauge(m));
            } else if ("L2".equals(layer) && m instanceof Gauge g) {
                // Any other L2 gauge (rate limiters, caches) gets a row of its own.
                row(limiters, dep + " " + name.substring("strata.".length())).put("value", g.value());
            }
        }
        Totals then = windowStart(now, current);
        double seconds = then == null ? 0 : (now - then.nanos()) / 1e9;

        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("t", System.currentTimeMillis());
        sample.put("verdicts", safe(verdicts, List.of()));
        Map<String, Object> layers = new LinkedHashMap<>();
        layers.put("L4", layer4(runtime, l3.size()));
        layers.put("L3", layer3(l3, current, then, seconds));
        layers.put("L2", layer2(l2, limiters, current, then, seconds));
        layers.put("L1", layer1(l1, current, then, seconds));
        sample.put("layers", layers);
        return Json.write(sample, SAMPLE_JSON);
    }

    private Map<String, Object> layer1(Map<String, Map<String, Object>> rows, Map<String, Double> cur, Totals then, double s) {
        double connects = 0, failures = 0, resets = 0, stale = 0, dns = 0;
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : rows.entrySet()) {
            String dep = e.getKey();
            double c = rate(cur, then, s, "strata.pool.connections.opened", dep, null);
            double f = rate(cur, then, s, "strata.pool.connections.create.failures", dep, null)
                    + rate(cur, then, s, "strata.faults", dep, "connection_refused")
                    + rate(cur, then, s, "strata.faults", dep, "connect_timeout")
                    + rate(cur, then, s, "strata.faults", dep, "tls_handshake_failure");
            double r = rate(cur, then, s, "strata.faults", dep, "connection_reset");
            double st = rate(cur, then, s, "strata.pool.connections.stale", dep, null)
                    + rate(cur, then, s, "strata.faults", dep, "stale_connection");
            double d = rate(cur, then, s, "strata.faults", dep, "dns_failure");
            connects += c;
            failures += f;
            resets += r;
            stale += st;
            dns += d;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", dep);
            row.put("connects", c);
            row.put("connectFailures", f);
            row.put("resets", r);
            row.put("stale", st);
            row.put("dns", d);
            row.put("status", f > 0 || d > 0 ? "broken" : r > 0 || st > 0 ? "degraded" : "healthy");
            out.add(row);
        }
        Map<String, Object> series = new LinkedHashMap<>();
        series.put("connects", connects);
        series.put("connect failures", failures);
        series.put("resets", resets);
        series.put("stale", stale);
        series.put("dns failures", dns);
        return panel(out, series);
    }

    private Map<String, Object> layer2(Map<String, Map<String, Object>> pools, Map<String, Map<String, Object>> limiters,
                                       Map<String, Double> cur, Totals then, double s) {
        double active = 0, idle = 0, pending = 0, waitP99 = 0;
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : pools.entrySet()) {
            Map<String, Object> p = e.getValue();
            if (!p.containsKey("max")) {
                continue; // a dependency with faults but no pool
            }
            double a = num(p.get("active")), i = num(p.get("idle")), q = num(p.get("pending")), max = num(p.get("max"));
            double timeouts = rate(cur, then, s, "strata.pool.connections.timeout", e.getKey(), null);
            active += a;
            idle += i;
            pending += q;
            waitP99 = Math.max(waitP99, num(p.get("waitP99Ms")));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", e.getKey());
            row.putAll(p);
            row.put("timeouts", timeouts);
            row.put("status", timeouts > 0 ? "broken" : q > 0 || (max > 0 && a >= 0.8 * max) ? "degraded" : "healthy");
            out.add(row);
        }
        for (Map.Entry<String, Map<String, Object>> e : limiters.entrySet()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", e.getKey());
            row.put("value", e.getValue().get("value"));
            row.put("status", "healthy");
            out.add(row);
        }
        Map<String, Object> series = new LinkedHashMap<>();
        series.put("active", active);
        series.put("idle", idle);
        series.put("pending", pending);
        series.put("wait p99 ms", waitP99);
        return panel(out, series);
    }

    private Map<String, Object> layer3(Map<String, Map<String, Object>> deps, Map<String, Double> cur, Totals then, double s) {
        double calls = 0, failed = 0, retried = 0, rejected = 0, fallbacks = 0;
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : deps.entrySet()) {
            String dep = e.getKey();
            double ok = rate(cur, then, s, "strata.calls", dep, "successful_without_retry")
                    + rate(cur, then, s, "strata.calls", dep, "successful_with_retry");
            double bad = rate(cur, then, s, "strata.calls", dep, "failed_without_retry")
                    + rate(cur, then, s, "strata.calls", dep, "failed_with_retry");
            double retry = rate(cur, then, s, "strata.calls", dep, "successful_with_retry")
                    + rate(cur, then, s, "strata.calls", dep, "failed_with_retry");
            double rej = rate(cur, then, s, "strata.calls.rejected", dep, null);
            double fb = rate(cur, then, s, "strata.fallbacks", dep, null);
            double all = ok + bad;
            calls += all;
            failed += bad;
            retried += retry;
            rejected += rej;
            fallbacks += fb;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", dep);
            String breaker = (String) e.getValue().getOrDefault("breaker", "-");
            row.put("breaker", breaker);
            row.put("calls", all);
            row.put("failed", bad);
            row.put("retryRate", all > 0 ? retry / all : 0.0);
            row.put("rejected", rej);
            row.put("fallbacks", fb);
            row.put("budget", e.getValue().get("budget"));
            row.put("bulkheadActive", e.getValue().get("bulkheadActive"));
            row.put("bulkheadMax", e.getValue().get("bulkheadMax"));
            row.put("limit", e.getValue().get("limit"));
            row.put("throttle", e.getValue().get("throttle"));
            boolean open = breaker.equals("OPEN") || breaker.equals("FORCED_OPEN");
            boolean trouble = breaker.equals("HALF_OPEN") || bad > 0 || rej > 0 || fb > 0 || (all > 0 && retry / all > 0.1);
            row.put("status", open ? "broken" : trouble ? "degraded" : "healthy");
            out.add(row);
        }
        Map<String, Object> series = new LinkedHashMap<>();
        series.put("calls", calls);
        series.put("failed", failed);
        series.put("retried", retried);
        series.put("rejected", rejected);
        series.put("fallbacks", fallbacks);
        return panel(out, series);
    }

    private Map<String, Object> layer4(Map<String, Object> runtime, int dependencies) {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> info = new LinkedHashMap<>(runtime);
        info.putIfAbsent("dependencies", (double) dependencies);
        Map<String, Object> extra = safe(l4Info, Map.of());
        String override = null;
        for (Map.Entry<String, Object> e : extra.entrySet()) {
            if (e.getKey().equals("status")) {
                override = String.valueOf(e.getValue());
            } else {
                info.put(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Object> e : info.entrySet()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", e.getKey());
            row.put("value", e.getValue());
            out.add(row);
        }
        String state = String.valueOf(runtime.getOrDefault("state", "RUNNING"));
        String status = override != null ? override
                : state.equals("RUNNING") ? "healthy" : state.equals("CLOSED") ? "broken" : "degraded";
        Map<String, Object> series = new LinkedHashMap<>();
        series.put("in flight", num(runtime.get("inFlight")));
        Map<String, Object> panel = panel(out, series);
        panel.put("status", status);
        return panel;
    }

    private static Map<String, Object> panel(List<Map<String, Object>> rows, Map<String, Object> series) {
        String status = "healthy";
        for (Map<String, Object> row : rows) {
            Object s = row.get("status");
            if ("broken".equals(s)) {
                status = "broken";
            } else if ("degraded".equals(s) && !status.equals("broken")) {
                status = "degraded";
            }
        }
        Map<String, Object> panel = new LinkedHashMap<>();
        panel.put("status", status);
        panel.put("series", series);
        panel.put("rows", rows);
        return panel;
    }

    /** The totals from about {@link DashboardFeed#RATE_WINDOW_SECONDS} ago, after adding the current ones. */
    private Totals windowStart(long now, Map<String, Double> current) {
        lock.lock();
        try {
            totals.addLast(new Totals(now, current));
            while (totals.size() > 1 && now - totals.peekFirst().nanos() > DashboardFeed.RATE_WINDOW_SECONDS * 1_000_000_000L + 500_000_000L) {
                totals.removeFirst();
            }
            Totals first = totals.peekFirst();
            return first.nanos() == now ? null : first;
        } finally {
            lock.unlock();
        }
    }

    /** Per-second rate of the counters named {@code name} for {@code dep} (and {@code kind}, if given). */
    private static double rate(Map<String, Double> cur, Totals then, double seconds, String name, String dep, String kind) {
        if (then == null || seconds <= 0) {
            return 0.0;
        }
        double delta = 0;
        String prefix = name + "|" + dep + "|";
        for (Map.Entry<String, Double> e : cur.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(prefix) && (kind == null || k.endsWith("|" + kind))) {
                delta += e.getValue() - then.values().getOrDefault(k, 0.0);
            }
        }
        return Math.max(0.0, delta) / seconds;
    }

    private static String key(String name, Meter m) {
        String kind = m.getId().getTag("kind");
        String reason = m.getId().getTag("reason");
        String outcome = m.getId().getTag("outcome");
        String from = m.getId().getTag("from") + ">" + m.getId().getTag("to");
        return name + "|" + Objects.requireNonNullElse(m.getId().getTag("dependency"), "-") + "|"
                + Objects.requireNonNullElse(reason, "") + Objects.requireNonNullElse(outcome, "") + from
                + "|" + Objects.requireNonNullElse(kind, "");
    }

    private static Map<String, Object> row(Map<String, Map<String, Object>> rows, String dep) {
        return rows.computeIfAbsent(dep, d -> new LinkedHashMap<>());
    }

    private static double gauge(Meter m) {
        return m instanceof Gauge g ? g.value() : m instanceof TimeGauge t ? t.value(TimeUnit.MILLISECONDS) : Double.NaN;
    }

    private static double num(Object o) {
        return o instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : 0.0;
    }

    private static <T> T safe(Supplier<T> supplier, T otherwise) {
        try {
            T value = supplier.get();
            return value == null ? otherwise : value;
        } catch (RuntimeException e) {
            return otherwise; // the diagnosis or the L4 source failing must not blank the dashboard
        }
    }
}
