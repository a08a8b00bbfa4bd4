package dev.strata.config;

import dev.strata.application.ConnectionBudget;
import dev.strata.application.DependencySettings;
import dev.strata.application.Secret;
import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import dev.strata.fault.FaultKind;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Hedge;
import dev.strata.resilience.Jitter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * The configuration's schema: the {@link #root()} section (runtime-wide keys), the
 * {@link #dependency()} section (what every {@code dependencies.<name>} and the shared
 * {@code defaults} may hold), and the binders that turn validated values into a
 * {@link StrataBuilder}. {@link #standard()} has every option of Strata's builders, plus whatever
 * {@link ConfigExtension}s are on the class path.
 *
 * <p>To add a section: write a {@link ConfigExtension} (keys in a section, a binder that reads
 * them) and register it; the loader then validates, locates and documents its keys like the
 * standard ones, and {@link ConfigReference} lists them in {@code docs/config.md}.
 */
public final class ConfigSchema {

    /** Turns root values into runtime settings. */
    @FunctionalInterface
    public interface RuntimeBinder {
        void bind(ConfigValues root, StrataBuilder builder);
    }

    /** Turns one dependency's values (its own over the defaults) into its settings. */
    @FunctionalInterface
    public interface DependencyBinder {
        void bind(ConfigValues values, DependencySettings settings);
    }

    /** Names the root reserves for the dependency scopes. */
    static final String DEFAULTS = "defaults";
    static final String DEPENDENCIES = "dependencies";

    private final ConfigSection root = new ConfigSection("", "runtime-wide settings");
    private final ConfigSection dependency = new ConfigSection("dependency", "one dependency");
    private final List<RuntimeBinder> runtimeBinders = new ArrayList<>();
    private final List<DependencyBinder> dependencyBinders = new ArrayList<>();

    private ConfigSchema() {
    }

    /** Strata's keys and every {@link ConfigExtension} found by {@link ServiceLoader}. */
    public static ConfigSchema standard() {
        ConfigSchema schema = core();
        for (ConfigExtension extension : ServiceLoader.load(ConfigExtension.class)) {
            extension.extend(schema);
        }
        return schema;
    }

    /** Strata's own keys only, without extensions from the class path. */
    public static ConfigSchema core() {
        ConfigSchema schema = new ConfigSchema();
        schema.defineRoot();
        schema.defineDependency();
        return schema;
    }

    /** Applies {@code extension} to this schema; returns this schema. */
    public ConfigSchema with(ConfigExtension extension) {
        extension.extend(this);
        return this;
    }

    /** Runtime-wide keys (beside {@code defaults} and {@code dependencies}). */
    public ConfigSection root() {
        return root;
    }

    /** The keys of each dependency and of {@code defaults}. */
    public ConfigSection dependency() {
        return dependency;
    }

    /** Adds a binder for root values; binders run in the order added. */
    public ConfigSchema onRuntime(RuntimeBinder binder) {
        runtimeBinders.add(binder);
        return this;
    }

    /** Adds a binder for each dependency's values; binders run in the order added. */
    public ConfigSchema onDependency(DependencyBinder binder) {
        dependencyBinders.add(binder);
        return this;
    }

    List<RuntimeBinder> runtimeBinders() {
        return runtimeBinders;
    }

    List<DependencyBinder> dependencyBinders() {
        return dependencyBinders;
    }

    // ------------------------------------------------------------------ the standard keys

    private static final Duration MS = Duration.ofMillis(1);
    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration HOUR = Duration.ofHours(1);

    private void defineRoot() {
        root.key(ConfigKey.of("strict", ValueType.BOOLEAN, false,
                "Refuse a second pool to one target (same JDBC URL and user, or host:port) instead of reporting it"));
        root.key(ConfigKey.of("start_timeout", ValueType.DURATION, Duration.ofSeconds(10), Duration.ZERO, Duration.ofMinutes(10),
                "How long start waits for required pools to reach their minimum idle size"));
        root.section("shutdown", "Graceful shutdown: readiness down, pause, refuse new work, finish in-flight, close", s -> s
                .key(ConfigKey.of("pause", ValueType.DURATION, Duration.ofSeconds(5), Duration.ZERO, Duration.ofMinutes(5),
                        "Time between readiness turning 503 and refusing new work, so load balancers notice (skipped if readiness was never probed)"))
                .key(ConfigKey.of("budget", ValueType.DURATION, Duration.ofSeconds(30), MS, HOUR,
                        "Whole shutdown budget; at its end the rest is forced")));
        root.section("connection_budget", "instances x sum of pool max sizes per database <= max_connections x (1 - headroom)", s -> s
                .key(ConfigKey.of("instances", ValueType.INTEGER, 1, 1, 10_000, "Instances (replicas) of this service running at once"))
                .key(ConfigKey.of("headroom", ValueType.PERCENT, 0.2, 0.0, 0.9, "Share of max_connections kept free for admins, migrations, deployments"))
                .key(ConfigKey.of("max_connections", ValueType.INTEGER, 0, 0, 1_000_000,
                        "Declared max_connections of the database servers (0 = not declared: checked only against PostgreSQL's real value at start)")));
        onRuntime((v, b) -> {
            b.strict(v.get("strict", Boolean.class));
            b.startTimeout(v.get("start_timeout", Duration.class));
            b.shutdown(v.get("shutdown.pause", Duration.class), v.get("shutdown.budget", Duration.class));
            b.connectionBudget(new ConnectionBudget(v.get("connection_budget.instances", Integer.class),
                    v.get("connection_budget.headroom", Double.class), v.get("connection_budget.max_connections", Integer.class)));
        });
    }

    /** Backoff shapes, as written in the file. */
    enum BackoffType { FIXED, EXPONENTIAL, DECORRELATED }

    /** Fault kinds as written in a fallback list: their codes, e.g. {@code circuit-open}. */
    static final ValueType<FaultKind> FAULT_KIND = new ValueType<>() {
        @Override
        public String name() {
            return "fault kind";
        }

        @Override
        public FaultKind parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            List<String> codes = new ArrayList<>();
            for (FaultKind k : FaultKind.values()) {
                if (k.code().equals(t)) {
                    return k;
                }
                codes.add(k.code());
            }
            String close = Suggest.closest(t.replace('-', '_'), codes.stream().map(c -> c.replace('-', '_')).toList());
            throw new IllegalArgumentException("is not a fault kind; allowed: " + String.join(", ", codes)
                    + (close == null ? "" : "; did you mean '" + close.replace('_', '-') + "'?"));
        }

        @Override
        public String format(FaultKind value) {
            return value.code();
        }
    };

    private void defineDependency() {
        ConfigSection d = dependency;
        d.key(ConfigKey.of("deadline", ValueType.DURATION, null, MS, DAY,
                "Total budget of each logical call: every attempt, backoff and pool wait spends from it (unset = none)"));
        d.key(ConfigKey.of("timeout", ValueType.DURATION, null, MS, DAY, "Per-attempt timeout (unset = none)"));
        d.key(ConfigKey.of("required", ValueType.BOOLEAN, true,
                "Readiness waits for this dependency's pool to prove its database reachable once (one connection opened, "
                        + "probed in the background when `min_idle` is 0) and to reach its minimum idle size once"));
        d.key(ConfigKey.of("fallback", ValueType.listOf(FAULT_KIND), null,
                "Fault kinds answered by the caller's fallback handler, e.g. [circuit-open, bulkhead-full]"));
        d.section("retry", "Retries (on when any retry key is set)", s -> s
                .key(ConfigKey.of("enabled", ValueType.BOOLEAN, true, "Set false to switch off retries the defaults switched on"))
                .key(ConfigKey.of("attempts", ValueType.INTEGER, 3, 1, 100, "Total attempts including the first"))
                .key(ConfigKey.of("max_duration", ValueType.DURATION, null, MS, DAY, "Stop retrying after this long (unset = no limit but the deadline)"))
                .key(ConfigKey.of("jitter", ValueType.oneOf(Jitter.class), Jitter.FULL, "How backoff delays are randomised"))
                .section("backoff", "Delay before each retry", b -> b
                        .key(ConfigKey.of("type", ValueType.oneOf(BackoffType.class), BackoffType.EXPONENTIAL, "Shape of the delays"))
                        .key(ConfigKey.of("initial", ValueType.DURATION, Duration.ofMillis(100), Duration.ZERO, HOUR,
                                "First delay (fixed: every delay; decorrelated: the base)"))
                        .key(ConfigKey.of("multiplier", ValueType.DECIMAL, 2.0, 1.0, 10.0, "Growth per retry (exponential)"))
                        .key(ConfigKey.of("max", ValueType.DURATION, Duration.ofSeconds(10), Duration.ZERO, HOUR,
                                "Largest delay (exponential, decorrelated)")))
                .section("budget", "Retry budget shared by all calls to the dependency (on with retries)", b -> b
                        .key(ConfigKey.of("enabled", ValueType.BOOLEAN, true, "Set false to retry without a budget"))
                        .key(ConfigKey.of("percent", ValueType.PERCENT, 0.2, 0.0, 1.0, "Retries allowed as a share of calls"))
                        .key(ConfigKey.of("min_per_second", ValueType.INTEGER, 10, 0, 1_000_000, "Retries always allowed per second"))
                        .key(ConfigKey.of("ttl", ValueType.DURATION, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(10),
                                "Window over which calls and retries are counted"))));
        d.section("breaker", "Circuit breaker (on when any breaker key is set)", s -> s
                .key(ConfigKey.of("enabled", ValueType.BOOLEAN, true, "Set false to switch off a breaker the defaults switched on"))
                .key(ConfigKey.of("mode", ValueType.oneOf(CircuitBreaker.Mode.class), CircuitBreaker.Mode.COUNT_WINDOW,
                        "How it decides to open"))
                .key(ConfigKey.of("failure_threshold", ValueType.INTEGER, 5, 1, 10_000, "Failures in a row that open it (consecutive_failures)"))
                .key(ConfigKey.of("window_size", ValueType.INTEGER, 100, 1, 100_000, "Calls (count_window) or seconds (time_window) in the window"))
                .key(ConfigKey.of("minimum_calls", ValueType.INTEGER, null, 1, 100_000, "Calls in the window before rates count (unset = window size)"))
                .key(ConfigKey.of("failure_rate", ValueType.PERCENT, 0.5, 0.001, 1.0, "Failure rate that opens it"))
                .key(ConfigKey.of("slow_call_duration", ValueType.DURATION, null, MS, HOUR, "A call at least this long is slow (unset = off)"))
                .key(ConfigKey.of("slow_call_rate", ValueType.PERCENT, 1.0, 0.001, 1.0, "Slow-call rate that opens it"))
                .key(ConfigKey.of("half_open_permits", ValueType.INTEGER, 1, 1, 1_000, "Probe calls in half-open state"))
                .key(ConfigKey.of("open_wait", ValueType.DURATION, Duration.ofSeconds(30), MS, HOUR, "Time open before a probe"))
                .key(ConfigKey.of("open_wait_multiplier", ValueType.DECIMAL, 1.0, 1.0, 10.0, "Growth of the open wait after each failed probe"))
                .key(ConfigKey.of("max_open_wait", ValueType.DURATION, null, MS, DAY, "Cap of the grown open wait (unset = max(open_wait, 5m))"))
                .key(ConfigKey.of("open_wait_jitter", ValueType.PERCENT, 0.0, 0.0, 1.0, "Share by which each open wait is randomly shortened")));
        d.section("bulkhead", "Concurrency limit (on when any bulkhead key is set)", s -> s
                .key(ConfigKey.of("enabled", ValueType.BOOLEAN, true, "Set false to switch off a bulkhead the defaults switched on"))
                .key(ConfigKey.of("max_concurrent", ValueType.INTEGER, 25, 1, 10_000, "Calls running at once"))
                .key(ConfigKey.of("max_wait", ValueType.DURATION, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1),
                        "Longest wait for a slot (0 = reject at once)")));
        d.section("hedge", "Hedged attempts beside a slow one (on when delay is set)", s -> s
                .key(ConfigKey.of("delay", ValueType.DURATION, null, MS, HOUR, "Start a hedge after the attempt ran this long"))
                .key(ConfigKey.of("max_hedges", ValueType.INTEGER, 1, 1, Hedge.MAX_HEDGES, "Extra attempts at most")));
        d.section("jdbc", "A JDBC database: the runtime opens one pooled data source", s -> s
                .key(ConfigKey.of("url", ValueType.STRING, null, "JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/shop"))
                .key(ConfigKey.of("user", ValueType.STRING, null, "Database user"))
                .key(ConfigKey.of("password", ValueType.SECRET, null, "Database password; never printed (use ${ENV_VAR} or an env override)"))
                .key(ConfigKey.of("validation_query", ValueType.STRING, null, "Query validating idle connections (unset = Connection.isValid)"))
                .key(ConfigKey.of("max_connections", ValueType.INTEGER, 0, 0, 1_000_000,
                        "This server's declared max_connections for the connection budget (0 = connection_budget.max_connections)")));
        d.section("pool", "The JDBC pool (with jdbc.url)", s -> s
                .key(ConfigKey.of("max_size", ValueType.INTEGER, 10, 1, 10_000, "Most connections open at once"))
                .key(ConfigKey.of("min_idle", ValueType.INTEGER, 0, 0, 10_000, "Connections kept open and idle; created at start (readiness waits for them)"))
                .key(ConfigKey.of("acquisition_timeout", ValueType.DURATION, Duration.ofSeconds(1), MS, Duration.ofMinutes(10),
                        "Longest wait for a connection (a shorter deadline wins)"))
                .key(ConfigKey.of("validation", ValueType.BOOLEAN, true, "Validate connections idle longer than validation_bypass before lending them"))
                .key(ConfigKey.of("validation_bypass", ValueType.DURATION, Duration.ofMillis(500), Duration.ZERO, DAY,
                        "A connection used this recently is lent without validation"))
                .key(ConfigKey.of("validation_timeout", ValueType.DURATION, Duration.ofSeconds(1), MS, Duration.ofMinutes(1),
                        "Bound of one validation or keepalive round trip"))
                .key(ConfigKey.of("idle_timeout", ValueType.DURATION, Duration.ofMinutes(10), Duration.ZERO, DAY,
                        "Idle connections above min_idle are closed after this (0 = never)"))
                .key(ConfigKey.of("max_lifetime", ValueType.DURATION, Duration.ofMinutes(30), Duration.ZERO, Duration.ofDays(30),
                        "Connections are retired after this age (0 = never)"))
                .key(ConfigKey.of("lifetime_jitter", ValueType.PERCENT, 0.05, 0.0, 0.5, "Share of max_lifetime randomly subtracted per connection"))
                .key(ConfigKey.of("keepalive", ValueType.DURATION, Duration.ofSeconds(60), Duration.ZERO, DAY,
                        "Idle connections are pinged this often; keep below the server's or NAT's idle timeout (0 = off)"))
                .key(ConfigKey.of("leak_detection", ValueType.DURATION, Duration.ZERO, Duration.ZERO, DAY,
                        "A connection held longer is reported with the borrower's stack (0 = off)"))
                .key(ConfigKey.of("creation_concurrency", ValueType.INTEGER, 2, 1, 64, "Connections being opened at once"))
                .key(ConfigKey.of("housekeeping_interval", ValueType.DURATION, Duration.ofSeconds(1), Duration.ofMillis(10),
                        Duration.ofMinutes(5), "How often idle timeout, lifetime, keepalive, leaks and min idle are checked")));
        d.section("http", "An HTTP dependency", s -> s
                .key(ConfigKey.of("base_url", ValueType.URL, null, "Base URL the dependency's HTTP client calls")));
        onDependency(ConfigSchema::bindStandard);
    }

    private static void bindStandard(ConfigValues v, DependencySettings d) {
        v.find("deadline", Duration.class).ifPresent(d::deadline);
        v.find("timeout", Duration.class).ifPresent(d::timeout);
        d.required(v.get("required", Boolean.class));
        v.find("fallback", List.class).ifPresent(kinds -> {
            EnumSet<FaultKind> set = EnumSet.noneOf(FaultKind.class);
            for (Object k : kinds) {
                set.add((FaultKind) k);
            }
            d.fallbackOn(set);
        });
        if (on(v, "retry")) {
            Backoff backoff = backoff(v);
            d.retry(r -> {
                r.maxAttempts(v.get("retry.attempts", Integer.class)).jitter(v.get("retry.jitter", Jitter.class)).backoff(backoff);
                v.find("retry.max_duration", Duration.class).ifPresent(r::maxDuration);
                return r;
            });
            if (v.get("retry.budget.enabled", Boolean.class)) {
                d.retryBudget(b -> b.retryPercent(v.get("retry.budget.percent", Double.class))
                        .minRetriesPerSecond(v.get("retry.budget.min_per_second", Integer.class))
                        .ttl(v.get("retry.budget.ttl", Duration.class)));
            }
        }
        if (on(v, "breaker")) {
            d.breaker(b -> {
                b.mode(v.get("breaker.mode", CircuitBreaker.Mode.class));
                v.find("breaker.failure_threshold", Integer.class).ifPresent(b::failureThreshold);
                v.find("breaker.window_size", Integer.class).ifPresent(b::windowSize);
                v.find("breaker.minimum_calls", Integer.class).ifPresent(b::minimumCalls);
                v.find("breaker.failure_rate", Double.class).ifPresent(b::failureRateThreshold);
                v.find("breaker.slow_call_duration", Duration.class).ifPresent(b::slowCallDuration);
                v.find("breaker.slow_call_rate", Double.class).ifPresent(b::slowCallRateThreshold);
                v.find("breaker.half_open_permits", Integer.class).ifPresent(b::halfOpenPermits);
                v.find("breaker.open_wait", Duration.class).ifPresent(b::openWait);
                v.find("breaker.open_wait_multiplier", Double.class).ifPresent(b::openWaitMultiplier);
                v.find("breaker.max_open_wait", Duration.class).ifPresent(b::maxOpenWait);
                v.find("breaker.open_wait_jitter", Double.class).ifPresent(b::openWaitJitter);
                return b;
            });
        }
        if (on(v, "bulkhead")) {
            d.bulkhead(b -> b.maxConcurrentCalls(v.get("bulkhead.max_concurrent", Integer.class))
                    .maxWait(v.get("bulkhead.max_wait", Duration.class)));
        }
        v.find("hedge.delay", Duration.class).ifPresent(delay -> d.hedge(Hedge.of(delay, v.get("hedge.max_hedges", Integer.class))));
        v.find("jdbc.url", String.class).ifPresent(url -> d.jdbc(url, v.find("jdbc.user", String.class).orElse(null),
                v.find("jdbc.password", Secret.class).orElse(null)));
        v.find("jdbc.validation_query", String.class).ifPresent(d::validationQuery);
        v.find("jdbc.max_connections", Integer.class).ifPresent(d::maxConnections);
        if (v.anySet("pool")) {
            d.pool(p -> {
                v.find("pool.max_size", Integer.class).ifPresent(p::maxSize);
                v.find("pool.min_idle", Integer.class).ifPresent(p::minIdle);
                v.find("pool.acquisition_timeout", Duration.class).ifPresent(p::acquisitionTimeout);
                if (!v.get("pool.validation", Boolean.class)) {
                    p.noValidation();
                } else {
                    v.find("pool.validation_bypass", Duration.class).ifPresent(p::validateIdleLongerThan);
                }
                v.find("pool.validation_timeout", Duration.class).ifPresent(p::validationTimeout);
                v.find("pool.idle_timeout", Duration.class).ifPresent(p::idleTimeout);
                v.find("pool.max_lifetime", Duration.class).ifPresent(p::maxLifetime);
                v.find("pool.lifetime_jitter", Double.class).ifPresent(p::lifetimeJitter);
                v.find("pool.keepalive", Duration.class).ifPresent(p::keepaliveInterval);
                v.find("pool.leak_detection", Duration.class).ifPresent(p::leakDetectionThreshold);
                v.find("pool.creation_concurrency", Integer.class).ifPresent(p::creationConcurrency);
                v.find("pool.housekeeping_interval", Duration.class).ifPresent(p::housekeepingInterval);
                return p;
            });
        }
        v.find("http.base_url", URI.class).ifPresent(d::httpBaseUrl);
    }

    /** A policy section is on when any of its keys is set (here or in the defaults) and it is not disabled. */
    private static boolean on(ConfigValues v, String section) {
        return v.anySet(section) && v.get(section + ".enabled", Boolean.class);
    }

    private static Backoff backoff(ConfigValues v) {
        Duration initial = v.get("retry.backoff.initial", Duration.class);
        Duration max = v.get("retry.backoff.max", Duration.class);
        try {
            return switch (v.get("retry.backoff.type", BackoffType.class)) {
                case FIXED -> Backoff.fixed(initial);
                case EXPONENTIAL -> Backoff.exponential(initial, v.get("retry.backoff.multiplier", Double.class), max);
                case DECORRELATED -> Backoff.decorrelated(initial, max);
            };
        } catch (IllegalArgumentException invalid) {
            throw new dev.strata.application.InvalidConfigurationException(List.of(
                    new dev.strata.application.InvalidConfigurationException.Problem(v.scope() + ".retry.backoff",
                            invalid.getMessage().replace("backoff.cap", "max").replace("backoff.base", "initial")
                                    .replace("backoff.initial", "initial").replace("backoff.multiplier", "multiplier"))));
        }
    }
}
