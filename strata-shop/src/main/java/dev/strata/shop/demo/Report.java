package dev.strata.shop.demo;

import dev.strata.shop.demo.Demo.DemoResult;
import dev.strata.shop.demo.Demo.PhaseResult;
import dev.strata.shop.demo.Demo.VariantResult;
import dev.strata.diagnosis.Verdict;
import dev.strata.fault.Layer;
import dev.strata.observe.StrataEvent;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints the demo's tables and builds its JSON tree. */
final class Report {

    /** Events kept per phase in the JSON; all are counted. */
    static final int JSON_EVENTS_PER_PHASE = 300;
    /** Event groups this small are printed one line per event; larger ones are summarised. */
    private static final int PRINT_EACH_UP_TO = 4;
    /** State changes (breaker transitions) are printed one by one up to this many per phase. */
    private static final int MAX_TRANSITIONS_PRINTED = 24;

    private final DemoSettings settings;
    private final PrintStream out;

    Report(DemoSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    void header() {
        out.println("strata demo: the seeds' outages reproduced in-process, naive code beside Strata");
        out.printf("time is compressed %dx: a seed's 5 s is %s here, its 30 s is %s; the ratios are the seeds'.%n",
                settings.timeCompression(), ms(settings.compress(java.time.Duration.ofSeconds(5)).toNanos()),
                ms(settings.compress(java.time.Duration.ofSeconds(30)).toNanos()));
        out.printf("traffic per variant (open loop, identical): catalog %.0f/s, checkout %.0f/s, recommendations %.0f/s;"
                        + " at most %d requests in flight, the rest dropped.%n",
                settings.catalogPerSecond(), settings.checkoutPerSecond(), settings.recommendationsPerSecond(),
                settings.maxInFlight());
        out.printf("naive: one shared pool of %d threads, no timeouts (every wait cut at a %s safety cap), a pool of %d"
                        + " connections without validation or keepalive, retries without jitter or budget.%n",
                settings.naiveThreads(), ms(settings.safetyCap().toNanos()), settings.poolSize());
        out.printf("strata: a %s deadline per checkout, a bulkhead per dependency, breakers, retries with jitter and a"
                        + " budget, fallbacks, a validated pool of %d with a %s keepalive.%n%n",
                ms(settings.checkoutBudget().toNanos()), settings.poolSize(), ms(settings.keepalive().toNanos()));
    }

    void phaseHeader(int index, int of, Phase phase) {
        out.printf("== phase %d/%d: %s ==%n", index, of, phase.name());
        out.printf("  %s%n  (%s)%n", phase.happens(), phase.seed());
    }

    void phase(PhaseResult result) {
        if (result.machineLoad() >= 0) {
            out.printf(Locale.ROOT, "%n  (machine load average %.1f on %d cores: latencies include the machine's own noise)%n",
                    result.machineLoad(), Runtime.getRuntime().availableProcessors());
        }
        out.printf("%n  %-16s %-7s %6s %8s %9s %7s %8s %9s %9s %9s%n", "endpoint", "variant", "req", "success",
                "fallback", "errors", "dropped", "p50", "p99", "max");
        for (String endpoint : Demo.ENDPOINTS) {
            result.variants().forEach((variant, v) -> {
                EndpointStats.Summary s = v.endpoints().get(endpoint);
                out.printf(Locale.ROOT, "  %-16s %-7s %6d %7.1f%% %8.1f%% %7d %8d %9s %9s %9s%n", endpoint, variant,
                        s.requests(), 100 * s.successRate(), 100 * s.fallbackRate(), s.errors(), s.dropped(),
                        ms(s.p50Nanos()), ms(s.p99Nanos()), ms(s.maxNanos()));
            });
        }
        out.printf("%n  load sent to the downstreams (requests/s: average, and peak in any 1 s window)%n");
        out.printf("  %-16s", "service");
        result.variants().keySet().forEach(variant -> out.printf(" %7s avg %5s", variant, "peak"));
        out.println();
        for (String service : Demo.SERVICES) {
            out.printf("  %-16s", service);
            result.variants().values().forEach(v -> {
                ArrivalMeter.Load load = v.load().get(service);
                out.printf(Locale.ROOT, " %11.1f %5d", load.perSecond(), load.peakPerSecond());
            });
            out.println();
        }
        printLayers(result);
        out.printf("%n  database connections during the phase%n");
        result.variants().forEach((variant, v) -> {
            StringBuilder line = new StringBuilder();
            v.counters().forEach((name, n) -> line.append(line.isEmpty() ? "" : ", ").append(name).append(' ').append(n));
            out.printf("  %-8s %s%n", variant, line);
        });
        printEvents(result);
        result.variants().forEach((variant, v) -> {
            if (v.unfinished() > 0) {
                out.printf("  note: %d %s requests were still in flight after the bounded drain%n", v.unfinished(), variant);
            }
        });
        out.println();
    }

    private void printLayers(PhaseResult result) {
        out.printf("%n  which layer broke: faults behind errors and fallbacks, by layer%n  %-8s", "variant");
        for (Layer layer : Layer.values()) {
            String name = layer.name().toLowerCase(Locale.ROOT);
            out.printf(" %14s", layer.label().equals(name) ? name : layer.label() + " " + name);
        }
        out.println("  top fault");
        result.variants().forEach((variant, v) -> {
            Map<Layer, Long> byLayer = layers(v);
            out.printf("  %-8s", variant);
            for (Layer layer : Layer.values()) {
                out.printf(" %14d", byLayer.getOrDefault(layer, 0L));
            }
            out.println("  " + topFault(v));
        });
        Map<Layer, Long> absorbed = absorbedFaults(result.events());
        if (!absorbed.isEmpty()) {
            out.printf("  %-8s", "absorbed");
            for (Layer layer : Layer.values()) {
                out.printf(" %14d", absorbed.getOrDefault(layer, 0L));
            }
            out.println("  faults Strata met on single attempts and pooled connections (from its events)");
        }
        Verdict first = result.diagnosis();
        out.printf("  diagnoser (strata variant): %s%n", first == null ? "healthy, no verdict"
                : first.layer().label() + " " + first.layer().name() + " " + first.id() + " [" + first.dependency() + "]: "
                        + first.summary());
        if (first != null) {
            out.printf("  %-27s fix: %s%n", "", first.fix());
        }
    }

    /**
     * Faults in Strata's attempt and connection events (failed attempts, calls given up, stale
     * connections found), by layer: what broke underneath even when the caller never saw it.
     */
    static Map<Layer, Long> absorbedFaults(List<EventTimeline.Entry> events) {
        Map<Layer, Long> byLayer = new EnumMap<>(Layer.class);
        for (EventTimeline.Entry entry : events) {
            StrataEvent e = entry.event();
            String type = e.type();
            boolean attemptOrConnection = type.startsWith("retry.attempt-failed") || type.startsWith("retry.gave-up")
                    || type.startsWith("call.failed") || type.startsWith("pool.stale");
            if (attemptOrConnection && e.fault() != null) {
                byLayer.merge(e.fault().layer(), 1L, Long::sum);
            }
        }
        return byLayer;
    }

    private void printEvents(PhaseResult result) {
        List<EventTimeline.Entry> events = result.events();
        if (events.isEmpty()) {
            out.printf("%n  events: none%n");
            return;
        }
        out.printf("%n  event timeline: Strata and chaos events (%d)%n", events.size());
        Map<String, List<EventTimeline.Entry>> groups = new LinkedHashMap<>();
        for (EventTimeline.Entry entry : events) {
            groups.computeIfAbsent(entry.event().dependency() + " " + entry.event().type(), k -> new ArrayList<>()).add(entry);
        }
        List<String> lines = new ArrayList<>();
        groups.forEach((key, group) -> {
            boolean transitions = key.endsWith("state-changed");
            if (group.size() <= PRINT_EACH_UP_TO || (transitions && group.size() <= MAX_TRANSITIONS_PRINTED)) {
                group.forEach(e -> lines.add(String.format(Locale.ROOT, "%8.2fs  %s", e.offsetNanos() / 1e9,
                        e.event().logLine())));
            } else {
                EventTimeline.Entry first = group.getFirst();
                EventTimeline.Entry last = group.getLast();
                lines.add(String.format(Locale.ROOT, "%8.2fs  %s  (x%d until %.2fs)", first.offsetNanos() / 1e9,
                        first.event().logLine(), group.size(), last.offsetNanos() / 1e9));
                if (transitions) {
                    lines.add(String.format(Locale.ROOT, "%8.2fs  %s  (the last of them)", last.offsetNanos() / 1e9,
                            last.event().logLine()));
                }
            }
        });
        lines.sort(null);
        lines.forEach(line -> out.println("  " + line));
    }

    void summary(DemoResult result) {
        out.println("== summary: which layer broke, whole run ==");
        Map<String, Map<Layer, Long>> totals = new LinkedHashMap<>();
        for (PhaseResult phase : result.phases()) {
            phase.variants().forEach((variant, v) -> layers(v).forEach((layer, n) ->
                    totals.computeIfAbsent(variant, k -> new EnumMap<>(Layer.class)).merge(layer, n, Long::sum)));
        }
        totals.forEach((variant, byLayer) -> out.printf("  %-7s %s%n", variant, byLayer));
        out.println();
        out.println("== checks (the issue's expected outcome) ==");
        for (Checks.Check check : Checks.evaluate(result)) {
            out.printf("  [%s] %s: %s%n", check.passed() ? "ok" : "FAILED", check.name(), check.detail());
        }
        out.printf("%ndone in %.1f s%n", result.totalNanos() / 1e9);
    }

    static Map<Layer, Long> layers(VariantResult v) {
        Map<Layer, Long> byLayer = new EnumMap<>(Layer.class);
        v.endpoints().values().forEach(s -> s.faultsByLayer().forEach((layer, n) -> byLayer.merge(layer, n, Long::sum)));
        return byLayer;
    }

    private static String topFault(VariantResult v) {
        Map<String, Long> byKind = new LinkedHashMap<>();
        v.endpoints().values().forEach(s -> s.faultsByKind().forEach((kind, n) -> byKind.merge(kind, n, Long::sum)));
        return byKind.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(e -> e.getKey() + " x" + e.getValue()).orElse("-");
    }

    /** Milliseconds for a table: {@code 2.3ms}, {@code 812ms}, {@code 3.00s}. */
    static String ms(long nanos) {
        double millis = nanos / 1e6;
        if (millis < 10) {
            return String.format(Locale.ROOT, "%.1fms", millis);
        }
        if (millis < 1000) {
            return String.format(Locale.ROOT, "%.0fms", millis);
        }
        return String.format(Locale.ROOT, "%.2fs", millis / 1000);
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    private static double ratio(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }

    /** The JSON document: {@code {"phases":[{"name":..,"variants":{"naive":{"endpoints":{..}}}}]}} and more. */
    static Map<String, Object> toJsonTree(DemoResult result) {
        DemoSettings s = result.settings();
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("time_compression", s.timeCompression());
        settings.put("payments_normal_ms", s.paymentsNormal().toMillis());
        settings.put("payments_slow_ms", s.paymentsSlow().toMillis());
        settings.put("checkout_budget_ms", s.checkoutBudget().toMillis());
        settings.put("payment_attempt_timeout_ms", s.paymentAttemptTimeout().toMillis());
        settings.put("db_idle_session_timeout_ms", s.dbIdleTimeout().toMillis());
        settings.put("pool_keepalive_ms", s.keepalive().toMillis());
        settings.put("quiet_ms", s.quiet().toMillis());
        settings.put("outage_ms", s.outage().toMillis());
        settings.put("naive_safety_cap_ms", s.safetyCap().toMillis());
        settings.put("catalog_per_second", s.catalogPerSecond());
        settings.put("checkout_per_second", s.checkoutPerSecond());
        settings.put("recommendations_per_second", s.recommendationsPerSecond());
        settings.put("max_in_flight", s.maxInFlight());
        settings.put("pool_size", s.poolSize());
        settings.put("naive_threads", s.naiveThreads());
        root.put("settings", settings);
        root.put("total_seconds", ratio(result.totalNanos() / 1e9));
        List<Object> phases = new ArrayList<>();
        for (PhaseResult phase : result.phases()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", phase.phase().name());
            p.put("index", phase.index());
            p.put("happens", phase.phase().happens());
            p.put("seed", phase.phase().seed());
            p.put("contained_by", phase.phase().containedBy());
            p.put("duration_s", ratio(phase.durationNanos() / 1e9));
            p.put("diagnosis", phase.diagnosis() == null ? null : phase.diagnosis().toMap());
            p.put("machine_load_average", ratio(phase.machineLoad()));
            Map<String, Object> variants = new LinkedHashMap<>();
            phase.variants().forEach((variant, v) -> variants.put(variant, variantJson(v)));
            p.put("variants", variants);
            Map<String, Long> eventCounts = new LinkedHashMap<>();
            List<Object> events = new ArrayList<>();
            for (EventTimeline.Entry entry : phase.events()) {
                StrataEvent e = entry.event();
                eventCounts.merge(e.type(), 1L, Long::sum);
                if (events.size() < JSON_EVENTS_PER_PHASE) {
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("at_s", ratio(entry.offsetNanos() / 1e9));
                    event.put("dependency", e.dependency());
                    event.put("type", e.type());
                    event.put("layer", e.layer().name());
                    event.put("fault", e.fault() == null ? null : e.fault().toString());
                    event.put("message", e.message());
                    events.add(event);
                }
            }
            p.put("event_counts", eventCounts);
            Map<String, Object> absorbed = new LinkedHashMap<>();
            absorbedFaults(phase.events()).forEach((layer, n) -> absorbed.put(layer.name(), n));
            p.put("absorbed_faults_by_layer", absorbed);
            p.put("events", events);
            phases.add(p);
        }
        root.put("phases", phases);
        List<Object> checks = new ArrayList<>();
        for (Checks.Check check : Checks.evaluate(result)) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", check.name());
            c.put("passed", check.passed());
            c.put("detail", check.detail());
            checks.add(c);
        }
        root.put("checks", checks);
        return root;
    }

    private static Map<String, Object> variantJson(VariantResult v) {
        Map<String, Object> variant = new LinkedHashMap<>();
        Map<String, Object> endpoints = new LinkedHashMap<>();
        v.endpoints().forEach((name, s) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("requests", s.requests());
            e.put("success_rate", ratio(s.successRate()));
            e.put("fallback_rate", ratio(s.fallbackRate()));
            e.put("error_rate", ratio(s.errorRate()));
            e.put("ok", s.ok());
            e.put("fallbacks", s.fallback());
            e.put("errors", s.errors());
            e.put("dropped", s.dropped());
            e.put("p50_ms", millis(s.p50Nanos()));
            e.put("p99_ms", millis(s.p99Nanos()));
            e.put("max_ms", millis(s.maxNanos()));
            Map<String, Object> layers = new LinkedHashMap<>();
            s.faultsByLayer().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(entry -> layers.put(entry.getKey().name(), entry.getValue()));
            e.put("faults_by_layer", layers);
            e.put("faults", new LinkedHashMap<>(s.faultsByKind()));
            e.put("fallback_reasons", new LinkedHashMap<>(s.fallbackReasons()));
            endpoints.put(name, e);
        });
        variant.put("endpoints", endpoints);
        Map<String, Object> load = new LinkedHashMap<>();
        v.load().forEach((service, l) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("requests", l.requests());
            entry.put("per_second", ratio(l.perSecond()));
            entry.put("peak_per_second", l.peakPerSecond());
            load.put(service, entry);
        });
        variant.put("downstream_load", load);
        Map<String, Object> layers = new LinkedHashMap<>();
        layers(v).forEach((layer, n) -> layers.put(layer.name(), n));
        variant.put("faults_by_layer", layers);
        variant.put("resource_counters", new LinkedHashMap<>(v.counters()));
        variant.put("unfinished", v.unfinished());
        return variant;
    }
}
