package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.application.PoolTarget;
import dev.strata.diagnosis.Finding;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The static audit: reads an L4 configuration (the tree of the YAML or properties file, keys as in
 * {@code docs/config.md}) and reports every seed trap it can see before anything runs, each with
 * its layer, severity, numbers and fix. Unset keys take the runtime's defaults, and {@code defaults}
 * apply under every dependency, as when the runtime is built.
 *
 * <p>Some traps need facts the runtime does not: the server's and the path's idle timeouts, the
 * expected rate and latency, whether an operation is idempotent. They are declared per dependency
 * under {@code expect} and for the service under {@code service} and {@code health}; see
 * {@code docs/diagnosis.md}. Only reads: nothing is connected or started.
 */
public final class ConfigAudit {

    private static final Duration THIRTY_SECONDS = Duration.ofSeconds(30);

    private final Map<String, Object> root;
    private final Map<String, Object> defaults;
    private final List<Finding> findings = new ArrayList<>();

    private ConfigAudit(Map<String, Object> root) {
        this.root = root;
        this.defaults = section(root, "defaults");
    }

    /**
     * Audits a configuration tree: maps for sections, strings/numbers/booleans/lists for values.
     *
     * @throws IllegalArgumentException when a value the audit needs cannot be read, naming the key
     */
    public static AuditReport audit(Map<String, Object> configuration) {
        ConfigAudit audit = new ConfigAudit(configuration);
        audit.run();
        List<Finding> sorted = new ArrayList<>(audit.findings);
        sorted.sort(Comparator.<Finding, Integer>comparing(f -> f.layer().ordinal())
                .thenComparing(Finding::severity, Comparator.reverseOrder()));
        return new AuditReport(sorted);
    }

    /**
     * The tree of a properties-style configuration: {@code dependencies.orders.pool.max_size = 20}
     * becomes {@code {dependencies: {orders: {pool: {max_size: "20"}}}}}.
     *
     * @throws IllegalArgumentException when a key is both a value and a section, naming it
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> tree(Map<String, String> dotted) {
        Map<String, Object> root = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : dotted.entrySet()) {
            String[] parts = e.getKey().trim().split("\\.");
            Map<String, Object> at = root;
            for (int i = 0; i < parts.length - 1; i++) {
                Object next = at.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
                if (!(next instanceof Map<?, ?>)) {
                    throw new IllegalArgumentException(e.getKey() + ": '" + String.join(".", java.util.Arrays.copyOf(parts, i + 1))
                            + "' is a value and a section at once");
                }
                at = (Map<String, Object>) next;
            }
            at.put(parts[parts.length - 1], e.getValue().trim());
        }
        return root;
    }

    private void run() {
        Map<String, Object> dependencies = section(root, "dependencies");
        Map<String, Object> service = section(root, "service");
        Duration upstream = duration(service, "timeout", "service.timeout");
        for (String name : dependencies.keySet()) {
            dependency(name, section(dependencies, name), upstream);
        }
        budget(dependencies);
        health(dependencies);
    }

    // ------------------------------------------------------------------ one dependency

    private void dependency(String name, Map<String, Object> own, Duration upstream) {
        Dep d = new Dep(name, own);
        String at = "dependencies." + name;
        boolean jdbc = d.has("jdbc.url");
        Duration deadline = d.duration("deadline");
        Duration timeout = d.duration("timeout");
        Duration serverIdle = d.duration("expect.server_idle_timeout");
        Duration pathIdle = d.duration("expect.path_idle_timeout");

        if (jdbc) {
            Duration keepalive = d.durationOr("pool.keepalive", Duration.ofMinutes(1));
            Duration idleTimeout = d.durationOr("pool.idle_timeout", Duration.ofMinutes(10));
            Duration limit = min(serverIdle, pathIdle);
            if (limit != null) {
                String which = limit.equals(pathIdle) ? "path (NAT/load balancer)" : "server";
                if (keepalive.isZero() || keepalive.compareTo(limit) >= 0) {
                    findings.add(new Finding("keepalive-not-below-idle-timeout", Layer.NETWORK, Severity.ERROR,
                            at + ".pool.keepalive",
                            (keepalive.isZero() ? "keepalive is off" : "keepalive every " + fmt(keepalive)) + " does not reach"
                                    + " an idle connection before the " + which + " idle timeout of " + fmt(limit)
                                    + ": pooled connections die silently while idle",
                            evidence("keepaliveMillis", keepalive.toMillis(), "idleLimitMillis", limit.toMillis(),
                                    "idleLimitOf", which),
                            "set pool.keepalive below " + fmt(limit) + ", e.g. " + fmt(limit.dividedBy(2))));
                }
                if (serverIdle != null && (idleTimeout.isZero() || idleTimeout.compareTo(serverIdle) >= 0)) {
                    findings.add(new Finding("pool-idle-timeout-not-below-server", Layer.RESOURCE, Severity.ERROR,
                            at + ".pool.idle_timeout",
                            "the pool keeps idle connections " + (idleTimeout.isZero() ? "forever" : "up to " + fmt(idleTimeout))
                                    + " but the server closes them after " + fmt(serverIdle),
                            evidence("poolIdleTimeoutMillis", idleTimeout.toMillis(), "serverIdleTimeoutMillis",
                                    serverIdle.toMillis()),
                            "set pool.idle_timeout below " + fmt(serverIdle) + " (e.g. " + fmt(serverIdle.multipliedBy(5).dividedBy(6))
                                    + ") and keep validation on"));
                }
            }
            Duration acquisition = d.durationOr("pool.acquisition_timeout", Duration.ofSeconds(1));
            if (deadline != null && acquisition.compareTo(deadline) >= 0) {
                findings.add(new Finding("acquisition-timeout-not-below-deadline", Layer.RESOURCE, Severity.ERROR,
                        at + ".pool.acquisition_timeout",
                        "waiting " + fmt(acquisition) + " for a connection can spend the whole " + fmt(deadline)
                                + " deadline in the pool's queue",
                        evidence("acquisitionTimeoutMillis", acquisition.toMillis(), "deadlineMillis", deadline.toMillis()),
                        "set pool.acquisition_timeout to 1-3x a normal query, well below the deadline"));
            } else if (acquisition.compareTo(THIRTY_SECONDS) >= 0) {
                findings.add(new Finding("acquisition-timeout-left-at-30s", Layer.RESOURCE, Severity.WARNING,
                        at + ".pool.acquisition_timeout",
                        "a " + fmt(acquisition) + " acquisition timeout makes every waiter hold its thread that long when"
                                + " the pool is starved: slow turns into down",
                        evidence("acquisitionTimeoutMillis", acquisition.toMillis()),
                        "a few hundred ms to 2 s: fail fast and shed load instead of queueing"));
            }
            Double rate = d.number("expect.rate");
            Duration latency = d.duration("expect.latency");
            int maxSize = d.integerOr("pool.max_size", 10);
            if (rate != null && latency != null) {
                long needed = (long) Math.ceil(rate * latency.toNanos() / 1e9 * 1.5);
                if (needed > maxSize) {
                    findings.add(new Finding("pool-smaller-than-littles-law", Layer.RESOURCE, Severity.ERROR,
                            at + ".pool.max_size",
                            rate + "/s x " + fmt(latency) + " x 1.5 needs " + needed + " connections; the pool has " + maxSize,
                            evidence("ratePerSecond", rate, "latencyMillis", latency.toMillis(), "needed", needed,
                                    "maxSize", maxSize),
                            "set pool.max_size to " + needed + " (within the connection budget), or lower the latency"));
                } else if (maxSize > 3 * Math.max(1, needed)) {
                    findings.add(new Finding("pool-larger-than-littles-law", Layer.RESOURCE, Severity.WARNING,
                            at + ".pool.max_size",
                            "the pool may open " + maxSize + " connections where " + rate + "/s x " + fmt(latency)
                                    + " x 1.5 needs " + needed + ": connections taken from the server's budget for nothing",
                            evidence("ratePerSecond", rate, "latencyMillis", latency.toMillis(), "needed", needed,
                                    "maxSize", maxSize),
                            "set pool.max_size near " + needed));
                }
            }
            if (d.has("bulkhead") && d.enabled("bulkhead")) {
                int bulkhead = d.integerOr("bulkhead.max_concurrent", 25);
                if (bulkhead > maxSize) {
                    findings.add(new Finding("bulkhead-larger-than-pool", Layer.RESILIENCE, Severity.WARNING,
                            at + ".bulkhead.max_concurrent",
                            "the bulkhead lets " + bulkhead + " calls in but the pool behind it has " + maxSize
                                    + " connections: " + (bulkhead - maxSize) + " admitted calls block in the pool instead",
                            evidence("bulkheadMaxConcurrent", bulkhead, "poolMaxSize", maxSize),
                            "make bulkhead.max_concurrent <= pool.max_size, and the pool's acquisition timeout short"));
                }
            }
        }

        boolean retries = d.has("retry") && d.enabled("retry") && d.integerOr("retry.attempts", 3) > 1;
        int attempts = retries ? d.integerOr("retry.attempts", 3) : 1;
        if (retries) {
            long worst = worstCaseNanos(d, attempts, timeout);
            dev.strata.resilience.Retry retry = RetryAudit.retry(attempts,
                    d.stringOr("retry.backoff.type", "exponential"), d.durationOr("retry.backoff.initial", Duration.ofMillis(100)),
                    d.numberOr("retry.backoff.multiplier", 2.0), d.durationOr("retry.backoff.max", Duration.ofSeconds(10)),
                    d.stringOr("retry.jitter", "full"));
            RetryAudit.budget(findings, at, attempts, d.boolOr("retry.budget.enabled", true));
            if (deadline != null) {
                RetryAudit.deadline(findings, at, retry, timeout, deadline);
            } else if (deadline == null && timeout != null) {
                findings.add(new Finding("retries-without-deadline", Layer.RESILIENCE, Severity.WARNING, at + ".deadline",
                        "no deadline: a call may take " + fmt(Duration.ofNanos(worst)) + " (" + attempts + " attempts x "
                                + fmt(timeout) + " + backoff) before the caller hears anything",
                        evidence("attempts", attempts, "timeoutMillis", timeout.toMillis(), "worstCaseMillis", worst / 1_000_000),
                        "set a deadline covering DNS, connect, pool wait, attempts and backoff"));
            }
            if (d.stringOr("retry.jitter", "full").equalsIgnoreCase("none")) {
                findings.add(new Finding("retry-without-jitter", Layer.RESILIENCE, Severity.WARNING, at + ".retry.jitter",
                        "retries without jitter: every caller that failed together retries together, in waves",
                        evidence("attempts", attempts, "jitter", "none"), "retry.jitter: full"));
            }
            if (!d.boolOr("expect.idempotent", true) && !d.boolOr("expect.idempotency_key", false)) {
                findings.add(new Finding("retry-non-idempotent", Layer.RESILIENCE, Severity.ERROR, at + ".retry",
                        "retries a non-idempotent operation (" + attempts + " attempts) without an idempotency key: a"
                                + " timed-out attempt that did succeed is done twice",
                        evidence("attempts", attempts, "idempotent", false, "idempotencyKey", false),
                        "send an idempotency key the dependency honours (and declare expect.idempotency_key), or"
                                + " retry.enabled: false"));
            }
        }
        if (upstream != null) {
            Duration budget = deadline != null ? deadline
                    : timeout == null ? null : Duration.ofNanos(worstCaseNanos(d, attempts, timeout));
            if (budget != null && budget.compareTo(upstream) >= 0) {
                findings.add(new Finding("downstream-timeout-not-below-upstream", Layer.RESILIENCE, Severity.ERROR,
                        at + (deadline != null ? ".deadline" : ".timeout"),
                        "a call to " + name + " may take " + fmt(budget) + ", not less than the " + fmt(upstream)
                                + " its own caller waits: the caller gives up first and the work goes on for nobody",
                        evidence("dependencyBudgetMillis", budget.toMillis(), "upstreamTimeoutMillis", upstream.toMillis()),
                        "keep every dependency's deadline below the service's own timeout, minus its own work"));
            }
        }
        if (d.has("breaker") && d.enabled("breaker")) {
            RetryAudit.breakerMinimum(findings, at, d.stringOr("breaker.mode", "count_window"),
                    d.integerOr("breaker.window_size", 100),
                    d.has("breaker.minimum_calls") ? d.integerOr("breaker.minimum_calls", 0) : null,
                    percent(d.raw("breaker.failure_rate") == null ? Map.of() : Map.of("r", d.raw("breaker.failure_rate")),
                            "r", at + ".breaker.failure_rate", 0.5));
        }
        if (d.has("breaker") && d.enabled("breaker") && d.boolOr("expect.fragile", false)) {
            int permits = d.integerOr("breaker.half_open_permits", 1);
            if (permits > 1) {
                findings.add(new Finding("half-open-permits-on-fragile", Layer.RESILIENCE, Severity.WARNING,
                        at + ".breaker.half_open_permits",
                        permits + " probes at once hit a fragile dependency just as it recovers",
                        evidence("halfOpenPermits", permits), "breaker.half_open_permits: 1 (and open_wait_multiplier > 1)"));
            }
        }
    }

    /** Attempts x timeout + every backoff delay at its largest (jitter only ever shortens them). */
    private static long worstCaseNanos(Dep d, int attempts, Duration timeout) {
        long perAttempt = timeout == null ? 0 : timeout.toNanos();
        String type = d.stringOr("retry.backoff.type", "exponential").toLowerCase(Locale.ROOT);
        long initial = d.durationOr("retry.backoff.initial", Duration.ofMillis(100)).toNanos();
        long max = d.durationOr("retry.backoff.max", Duration.ofSeconds(10)).toNanos();
        double multiplier = d.numberOr("retry.backoff.multiplier", 2.0);
        long backoff = 0;
        double delay = initial;
        for (int retry = 1; retry < attempts; retry++) {
            long thisDelay = type.equals("fixed") ? initial : (long) Math.min(delay, max);
            backoff += thisDelay;
            delay = type.equals("decorrelated") ? Math.min(max, delay * 3) : delay * multiplier;
        }
        return attempts * perAttempt + backoff;
    }

    // ------------------------------------------------------------------ the whole service

    private void budget(Map<String, Object> dependencies) {
        Map<String, Object> budget = section(root, "connection_budget");
        int instances = integer(budget, "instances", "connection_budget.instances", 1);
        double headroom = percent(budget, "headroom", "connection_budget.headroom", 0.2);
        int declared = integer(budget, "max_connections", "connection_budget.max_connections", 0);
        Map<String, Map<String, Integer>> byServer = new LinkedHashMap<>();
        Map<String, Integer> maxByServer = new LinkedHashMap<>();
        for (String name : dependencies.keySet()) {
            Dep d = new Dep(name, section(dependencies, name));
            if (!d.has("jdbc.url")) {
                continue;
            }
            String server = serverOf(d.stringOr("jdbc.url", ""));
            byServer.computeIfAbsent(server, k -> new LinkedHashMap<>()).put(name, d.integerOr("pool.max_size", 10));
            int own = d.integerOr("jdbc.max_connections", 0);
            if (own > 0) {
                maxByServer.put(server, own);
            }
        }
        for (Map.Entry<String, Map<String, Integer>> e : byServer.entrySet()) {
            int max = maxByServer.getOrDefault(e.getKey(), declared);
            if (max == 0) {
                continue;
            }
            long perInstance = e.getValue().values().stream().mapToLong(Integer::longValue).sum();
            long needed = perInstance * instances;
            long allowed = (long) Math.floor(max * (1.0 - headroom) + 1e-9);
            if (needed > allowed) {
                findings.add(new Finding("connection-budget-exceeded", Layer.APPLICATION, Severity.ERROR,
                        "connection_budget [" + e.getKey() + "]",
                        instances + " instance(s) x " + perInstance + " connections " + e.getValue() + " = " + needed
                                + " > " + allowed + " allowed (" + max + " max_connections less " + Math.round(headroom * 100)
                                + "% headroom): \"too many connections\" under load or during a deployment",
                        evidence("server", e.getKey(), "instances", instances, "perInstance", perInstance, "needed", needed,
                                "allowed", allowed, "maxConnections", max, "maxSizeByDependency", e.getValue()),
                        "lower the pools' max_size (Little's law), the instances, or raise max_connections"));
            }
        }
    }

    private void health(Map<String, Object> dependencies) {
        Map<String, Object> health = section(root, "health");
        for (String dependency : list(health, "liveness")) {
            findings.add(new Finding("health-depends-on-dependency", Layer.APPLICATION, Severity.ERROR, "health.liveness",
                    "liveness checks " + dependency + ": when it is down every instance is restarted, and nothing improves",
                    evidence("check", "liveness", "dependency", dependency),
                    "liveness checks the process only; report dependencies on a separate endpoint"));
        }
        for (String dependency : list(health, "readiness")) {
            Map<String, Object> dep = section(dependencies, dependency);
            boolean ownDatabase = new Dep(dependency, dep).has("jdbc.url");
            if (!ownDatabase) {
                findings.add(new Finding("health-depends-on-dependency", Layer.APPLICATION, Severity.ERROR,
                        "health.readiness",
                        "readiness checks the remote dependency " + dependency + ": when its breaker opens every instance"
                                + " leaves the load balancer, and everything is down (seed 001, trap 4)",
                        evidence("check", "readiness", "dependency", dependency),
                        "readiness checks the service's own critical resources; dependency state goes to"
                                + " /health/dependencies"));
            }
        }
    }

    // ------------------------------------------------------------------ reading values

    /** A dependency's values with the defaults under them. */
    private final class Dep {
        final String name;
        final Map<String, Object> own;

        Dep(String name, Map<String, Object> own) {
            this.name = name;
            this.own = own;
        }

        Object raw(String path) {
            Object v = lookup(own, path);
            return v != null ? v : path.startsWith("jdbc.") ? null : lookup(defaults, path);
        }

        boolean has(String path) {
            return raw(path) != null;
        }

        /** A policy is on when any key of it is set and {@code enabled} is not false. */
        boolean enabled(String section) {
            Object e = raw(section + ".enabled");
            return e == null || Boolean.parseBoolean(e.toString()) || e.toString().equalsIgnoreCase("yes")
                    || e.toString().equalsIgnoreCase("on");
        }

        Duration duration(String path) {
            Object v = raw(path);
            return v == null ? null : parseDuration("dependencies." + name + "." + path, v);
        }

        Duration durationOr(String path, Duration fallback) {
            Duration d = duration(path);
            return d == null ? fallback : d;
        }

        int integerOr(String path, int fallback) {
            Object v = raw(path);
            return v == null ? fallback : parseInt("dependencies." + name + "." + path, v);
        }

        Double number(String path) {
            Object v = raw(path);
            return v == null ? null : parseNumber("dependencies." + name + "." + path, v);
        }

        double numberOr(String path, double fallback) {
            Double n = number(path);
            return n == null ? fallback : n;
        }

        String stringOr(String path, String fallback) {
            Object v = raw(path);
            return v == null ? fallback : v.toString();
        }

        boolean boolOr(String path, boolean fallback) {
            Object v = raw(path);
            if (v == null) {
                return fallback;
            }
            String s = v.toString().toLowerCase(Locale.ROOT);
            return s.equals("true") || s.equals("yes") || s.equals("on");
        }
    }

    @SuppressWarnings("unchecked")
    private static Object lookup(Map<String, Object> map, String path) {
        Object current = map;
        for (String part : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> m)) {
                return null;
            }
            current = ((Map<String, Object>) m).get(part);
        }
        return current instanceof Map<?, ?> m ? (m.isEmpty() ? Map.of() : m) : current;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> map, String key) {
        Object v = map == null ? null : map.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(key + ": expected a section, got '" + v + "'");
        }
        return (Map<String, Object>) v;
    }

    private static List<String> list(Map<String, Object> map, String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return java.util.Arrays.stream(v.toString().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Duration duration(Map<String, Object> map, String key, String path) {
        Object v = map.get(key);
        return v == null ? null : parseDuration(path, v);
    }

    private static int integer(Map<String, Object> map, String key, String path, int fallback) {
        Object v = map.get(key);
        return v == null ? fallback : parseInt(path, v);
    }

    private static double percent(Map<String, Object> map, String key, String path, double fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        String s = v.toString().trim();
        double n = s.endsWith("%") ? parseNumber(path, s.substring(0, s.length() - 1)) / 100 : parseNumber(path, s);
        if (n < 0 || n > 1) {
            throw new IllegalArgumentException(path + ": '" + v + "' is not a share between 0% and 100%");
        }
        return n;
    }

    /** {@code 250us}, {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}, {@code 1d}, or {@code 0}. */
    static Duration parseDuration(String path, Object value) {
        String s = value.toString().trim();
        try {
            return Durations.parse(s);
        } catch (IllegalArgumentException notADuration) {
            throw new IllegalArgumentException(path + ": '" + s + "' " + notADuration.getMessage());
        }
    }

    private static int parseInt(String path, Object value) {
        try {
            return Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + ": '" + value + "' is not a whole number");
        }
    }

    private static double parseNumber(String path, Object value) {
        String s = value.toString().trim();
        if (s.endsWith("/s")) {
            s = s.substring(0, s.length() - 2).trim();
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + ": '" + value + "' is not a number");
        }
    }

    private static Duration min(Duration a, Duration b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Map<String, Object> evidence(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private static String fmt(Duration d) {
        return dev.strata.internal.Durations.format(d);
    }

    /** {@code host:port} of a JDBC URL's server, the unit of a connection budget; an unparsable URL stands for itself. */
    private static String serverOf(String jdbcUrl) {
        try {
            return PoolTarget.jdbc(jdbcUrl, "").server();
        } catch (IllegalArgumentException notJdbc) {
            return jdbcUrl;
        }
    }
}
