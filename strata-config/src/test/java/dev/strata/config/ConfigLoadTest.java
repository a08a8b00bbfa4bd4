package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.AttachmentKey;
import dev.strata.application.Dependency;
import dev.strata.application.Strata;
import dev.strata.fault.FaultKind;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.pool.PoolConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigLoadTest {

    static final String SHOP = """
            strict: true
            shutdown:
              pause: 500ms
              budget: 20s
            connection_budget:
              instances: 3
              headroom: 20%
              max_connections: 100
            defaults:
              timeout: 2s
              retry:
                attempts: 3
                backoff: {initial: 100ms, max: 1s}
                jitter: full
              breaker:
                failure_rate: 50%
                open_wait: 1m
            dependencies:
              catalog:
                jdbc:
                  url: jdbc:postgresql://127.0.0.1:1/shop
                  user: shop
                  password: ${SHOP_DB_PASSWORD}
                pool:
                  max_size: 10
                  min_idle: 2
                  acquisition_timeout: 500ms
                  keepalive: 30s
                  leak_detection: 1m
                retry:
                  enabled: false
              payments:
                deadline: 5s
                http:
                  base_url: http://127.0.0.1:9/
                bulkhead:
                  max_concurrent: 20
                fallback: [circuit-open, bulkhead-full]
              inventory:
                timeout: 500ms
                breaker:
                  enabled: false
            """;

    private static LoadedConfig load(String yaml, Map<String, String> env) {
        return StrataConfig.loader().schema(ConfigSchema.core()).yaml("shop.yaml", yaml).environment(env).load();
    }

    @Test
    void aFullFileBuildsTheRuntimeWithDefaultsAndPerDependencySettings() {
        LoadedConfig config = load(SHOP, Map.of("SHOP_DB_PASSWORD", "hunter2"));
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.strict()).isTrue();
            assertThat(strata.connectionBudget().instances()).isEqualTo(3);
            assertThat(strata.dependencies().keySet()).containsExactly("catalog", "payments", "inventory");

            Dependency catalog = strata.dependency("catalog");
            assertThat(catalog.retry()).isEmpty(); // switched off over the defaults
            assertThat(catalog.circuitBreaker()).isPresent();
            PoolConfig pool = catalog.dataSource().pool().config();
            assertThat(pool.maxSize()).isEqualTo(10);
            assertThat(pool.minIdle()).isEqualTo(2);
            assertThat(pool.acquisitionTimeout()).isEqualTo(Duration.ofMillis(500));
            assertThat(pool.keepaliveInterval()).isEqualTo(Duration.ofSeconds(30));
            assertThat(pool.leakDetectionThreshold()).isEqualTo(Duration.ofMinutes(1));

            Dependency payments = strata.dependency("payments");
            assertThat(payments.retry().orElseThrow().maxAttempts()).isEqualTo(3);
            assertThat(payments.retryBudget()).isPresent(); // on with retries
            assertThat(payments.bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(20);
            assertThat(payments.httpBaseUrl()).contains(URI.create("http://127.0.0.1:9/"));
            assertThat(payments.fallbackKinds()).containsExactlyInAnyOrder(FaultKind.CIRCUIT_OPEN, FaultKind.BULKHEAD_FULL);
            assertThat(payments.pipeline().toString()).contains("deadline 5.00s", "Timeout[2.00s]");
            assertThat(payments.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.CLOSED);

            Dependency inventory = strata.dependency("inventory");
            assertThat(inventory.circuitBreaker()).isEmpty();
            assertThat(inventory.pipeline().toString()).contains("500ms");
        }
    }

    @Test
    void propertiesSayTheSame() {
        String properties = """
                # the same as YAML, one key per line
                defaults.timeout = 2s
                defaults.retry.attempts = 4
                dependencies.payments.deadline = 1m
                dependencies.payments.fallback = circuit-open, deadline-exceeded
                dependencies.catalog.jdbc.url = jdbc:postgresql://127.0.0.1:1/shop
                dependencies.catalog.pool.max_size: 7
                """;
        LoadedConfig config = StrataConfig.loader().schema(ConfigSchema.core()).properties("shop.properties", properties).load();
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.dependency("payments").retry().orElseThrow().maxAttempts()).isEqualTo(4);
            assertThat(strata.dependency("payments").fallbackKinds()).containsExactlyInAnyOrder(FaultKind.CIRCUIT_OPEN,
                    FaultKind.DEADLINE_EXCEEDED);
            assertThat(strata.dependency("catalog").dataSource().pool().config().maxSize()).isEqualTo(7);
        }
        assertThat(config.dependencies().get("catalog").location("pool.max_size").orElseThrow())
                .hasToString("shop.properties:7:37");
    }

    @Test
    void environmentVariablesOverrideSingleKeys() {
        Map<String, String> env = Map.of(
                "SHOP_DB_PASSWORD", "pw",
                "STRATA_DEPENDENCIES_PAYMENTS_TIMEOUT", "2s",
                "STRATA_DEPENDENCIES_CATALOG_POOL_MAX_SIZE", "7",
                "STRATA_CONNECTION_BUDGET_INSTANCES", "2",
                "STRATA_DEFAULTS_RETRY_ATTEMPTS", "2",
                "STRATA_HOME", "/opt/strata"); // not a key of ours: ignored
        LoadedConfig config = load(SHOP, env);
        assertThat(config.dependencies().get("payments").get("timeout", Duration.class)).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.dependencies().get("payments").location("timeout").orElseThrow())
                .hasToString("env STRATA_DEPENDENCIES_PAYMENTS_TIMEOUT");
        assertThat(config.dependencies().get("inventory").get("timeout", Duration.class)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.dependencies().get("catalog").get("pool.max_size", Integer.class)).isEqualTo(7);
        assertThat(config.dependencies().get("inventory").get("retry.attempts", Integer.class)).isEqualTo(2);
        assertThat(config.root().get("connection_budget.instances", Integer.class)).isEqualTo(2);
    }

    @Test
    void durationsAndSharesAreWrittenTheHumanWay() {
        assertThat(ValueType.DURATION.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ValueType.DURATION.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(ValueType.DURATION.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(ValueType.DURATION.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(ValueType.DURATION.parse("0")).isZero();
        assertThat(ValueType.DURATION.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(ValueType.PERCENT.parse("20%")).isEqualTo(0.2);
        assertThat(ValueType.PERCENT.parse("0.2")).isEqualTo(0.2);
    }

    @Test
    void secretsAreNeverPrinted() {
        LoadedConfig config = load(SHOP, Map.of("SHOP_DB_PASSWORD", "hunter2"));
        assertThat(config.describe()).contains("dependencies.catalog.jdbc.password = ******").doesNotContain("hunter2");
        assertThat(config.dependencies().get("catalog").toString()).doesNotContain("hunter2");
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata + " " + strata.dependency("catalog") + " " + strata.dependency("catalog").dataSource())
                    .doesNotContain("hunter2");
        }
    }

    @Test
    void anExtensionAddsASectionThatIsValidatedLocatedAndBound() {
        AttachmentKey<Integer> permitsKey = AttachmentKey.of("permits", Integer.class);
        ConfigExtension rateLimits = schema -> {
            schema.dependency().section("rate_limit", "Local rate limit", s -> s
                    .key(ConfigKey.of("permits", ValueType.INTEGER, null, 1, 1_000_000, "Permits per period")));
            schema.onDependency((values, settings) -> values.find("rate_limit.permits", Integer.class)
                    .ifPresent(p -> settings.attach(permitsKey, d -> p)));
        };
        ConfigSchema schema = ConfigSchema.core().with(rateLimits);
        LoadedConfig config = StrataConfig.loader().schema(schema)
                .yaml("x.yaml", "dependencies:\n  payments:\n    rate_limit:\n      permits: 50\n").load();
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.dependency("payments").attachment(permitsKey)).isEqualTo(50);
        }
        assertThat(ConfigReference.markdown(schema)).contains("| `rate_limit.permits` | integer |  | 1..1000000 | Permits per period |");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> StrataConfig.loader()
                .schema(schema).yaml("x.yaml", "dependencies:\n  payments:\n    rate_limit:\n      permit: 50\n").load());
        assertThat(e.locatedProblems()).extracting(ConfigProblem::toString)
                .containsExactly("x.yaml:4:7: dependencies.payments.rate_limit.permit: unknown key, did you mean 'permits'?");
    }

    @Test
    void anEmptySectionSwitchesAPolicyOnWithItsDefaults() {
        LoadedConfig config = load("dependencies:\n  payments:\n    breaker: {}\n    bulkhead:\n", Map.of());
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.dependency("payments").circuitBreaker()).isPresent();
            assertThat(strata.dependency("payments").bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(25);
            assertThat(Set.copyOf(strata.breakers())).hasSize(1);
        }
    }

    @Test
    void theDocumentedPoolDefaultsAreThePoolsOwnDefaults() {
        PoolConfig core = PoolConfig.builder("x").build();
        ConfigSection pool = ConfigSchema.core().dependency().sections().get("pool");
        assertThat(pool.keys().get("max_size").defaultValue()).isEqualTo(core.maxSize());
        assertThat(pool.keys().get("min_idle").defaultValue()).isEqualTo(core.minIdle());
        assertThat(pool.keys().get("acquisition_timeout").defaultValue()).isEqualTo(core.acquisitionTimeout());
        assertThat(pool.keys().get("validation_bypass").defaultValue()).isEqualTo(core.validationBypass());
        assertThat(pool.keys().get("validation_timeout").defaultValue()).isEqualTo(core.validationTimeout());
        assertThat(pool.keys().get("idle_timeout").defaultValue()).isEqualTo(core.idleTimeout());
        assertThat(pool.keys().get("max_lifetime").defaultValue()).isEqualTo(core.maxLifetime());
        assertThat(pool.keys().get("lifetime_jitter").defaultValue()).isEqualTo(core.lifetimeJitter());
        assertThat(pool.keys().get("keepalive").defaultValue()).isEqualTo(core.keepaliveInterval());
        assertThat(pool.keys().get("leak_detection").defaultValue()).isEqualTo(core.leakDetectionThreshold());
        assertThat(pool.keys().get("creation_concurrency").defaultValue()).isEqualTo(core.creationConcurrency());
        assertThat(pool.keys().get("housekeeping_interval").defaultValue()).isEqualTo(core.housekeepingInterval());
    }
}
