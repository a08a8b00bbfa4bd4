package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per class of configuration error: each located, named, and reported with all others. */
class ConfigErrorTest {

    private static List<String> problems(String yaml) {
        return problems(yaml, Map.of());
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        try {
            StrataConfig.loader().schema(ConfigSchema.core()).yaml("shop.yaml", yaml).environment(env).load();
        } catch (ConfigException e) {
            assertThat(e.getMessage()).startsWith("invalid Strata configuration, ").contains("(nothing was started)");
            return e.locatedProblems().stream().map(ConfigProblem::toString).toList();
        }
        throw new AssertionError("expected a ConfigException");
    }

    @Test
    void unknownKeySuggestsTheCloseOne() {
        assertThat(problems("""
                dependencies:
                  payments:
                    retry:
                      attemps: 3
                """)).containsExactly("shop.yaml:4:7: dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?");
        assertThat(problems("defaults:\n  pool:\n    maxSize: 3\n"))
                .containsExactly("shop.yaml:3:5: defaults.pool.maxSize: unknown key, did you mean 'max_size'?");
        assertThat(problems("dependecies:\n  payments: {}\n"))
                .containsExactly("shop.yaml:1:1: dependecies: unknown key, did you mean 'dependencies'?");
        assertThat(problems("dependencies:\n  payments:\n    zzz: 1\n")).singleElement().asString()
                .startsWith("shop.yaml:3:5: dependencies.payments.zzz: unknown key; allowed here: deadline, timeout, required,");
    }

    @Test
    void aValueOfTheWrongTypeSaysHowToWriteIt() {
        assertThat(problems("defaults:\n  timeout: 2 seconds\n  retry:\n    attempts: three\n  breaker:\n    failure_rate: half\n"))
                .containsExactly(
                        "shop.yaml:2:12: defaults.timeout: '2 seconds' is not a duration; write a number and a unit (us, ms, s, m, h, d), e.g. 500ms, 2s, 1m",
                        "shop.yaml:4:15: defaults.retry.attempts: 'three' is not a whole number",
                        "shop.yaml:6:19: defaults.breaker.failure_rate: 'half' is not a share; write a percentage like 20% or a fraction like 0.2");
    }

    @Test
    void aValueOutOfRangeNamesTheRange() {
        assertThat(problems("dependencies:\n  payments:\n    timeout: 0ms\n    retry:\n      attempts: 0\n    pool:\n      lifetime_jitter: 80%\n"))
                .containsExactly(
                        "shop.yaml:3:14: dependencies.payments.timeout: '0ms' is out of range; allowed 1ms..1d",
                        "shop.yaml:5:17: dependencies.payments.retry.attempts: '0' is out of range; allowed 1..100",
                        "shop.yaml:7:24: dependencies.payments.pool.lifetime_jitter: '80%' is out of range; allowed 0%..50%");
    }

    @Test
    void aWordOutsideItsSetSuggestsTheCloseOne() {
        assertThat(problems("defaults:\n  retry:\n    jitter: fulll\n  fallback: [circuit-opn]\n")).containsExactly(
                "shop.yaml:3:13: defaults.retry.jitter: 'fulll' is not allowed; allowed: full, equal, none; did you mean 'full'?",
                "shop.yaml:4:13: defaults.fallback: 'circuit-opn' is not a fault kind; allowed: " + allKinds() + "; did you mean 'circuit-open'?");
    }

    private static String allKinds() {
        return String.join(", ", java.util.Arrays.stream(dev.strata.fault.FaultKind.values()).map(k -> k.code()).toList());
    }

    @Test
    void structureMistakes() {
        assertThat(problems("""
                dependencies:
                  payments: 5
                  catalog:
                    retry: 3
                    timeout:
                      value: 2s
                    deadline: [1s, 2s]
                    timeout: 1s
                """)).containsExactly(
                "shop.yaml:2:13: dependencies.payments: must be a mapping of keys (timeout, retry, jdbc, ...), not a value",
                "shop.yaml:4:12: dependencies.catalog.retry: is a section, not a value; set its keys: enabled, attempts, max_duration, jitter, backoff, budget",
                "shop.yaml:6:7: dependencies.catalog.timeout: is a value, not a section; 'value' cannot go under it",
                "shop.yaml:7:15: dependencies.catalog.deadline: is a list; write a single duration",
                "shop.yaml:8:5: dependencies.catalog.timeout: duplicate key; already set at shop.yaml:5:5");
    }

    @Test
    void invalidYamlIsLocated() {
        assertThat(problems("dependencies:\n  payments:\n    timeout: [2s\n")).singleElement().asString()
                .startsWith("shop.yaml:4:1: (yaml): not valid YAML:");
    }

    @Test
    void aMissingEnvironmentPlaceholderIsNamed() {
        assertThat(problems("dependencies:\n  catalog:\n    jdbc:\n      url: jdbc:postgresql://127.0.0.1:1/shop\n      password: ${DB_PASSWORD}\n"))
                .containsExactly("shop.yaml:5:17: dependencies.catalog.jdbc.password: refers to ${DB_PASSWORD}, which is not set "
                        + "in the environment; set it or write ${DB_PASSWORD:-fallback}");
    }

    @Test
    void aBadEnvironmentOverrideIsLocatedAtTheVariable() {
        assertThat(problems("dependencies:\n  payments: {}\n", Map.of("STRATA_DEPENDENCIES_PAYMENTS_TIMEOUT", "soon",
                "STRATA_DEPENDENCIES_PAYMENTS_RETRY_ATTEMPS", "3"))).containsExactly(
                "env STRATA_DEPENDENCIES_PAYMENTS_RETRY_ATTEMPS: dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?",
                "env STRATA_DEPENDENCIES_PAYMENTS_TIMEOUT: dependencies.payments.timeout: 'soon' is not a duration; write a number and a unit (us, ms, s, m, h, d), e.g. 500ms, 2s, 1m");
    }

    @Test
    void thePipelineBudgetCheckRunsAtLoadWithItsNumbersAtTheDeadlinesLine() {
        assertThat(problems("""
                defaults:
                  timeout: 2s
                  retry:
                    attempts: 3
                    backoff: {type: fixed, initial: 500ms}
                    jitter: none
                dependencies:
                  payments:
                    deadline: 4s
                """)).containsExactly("shop.yaml:9:15: dependencies.payments.deadline: 4.00s cannot fit 3 attempts x 2.00s "
                + "timeout + 1.00s minimum backoff: attempt 3 could start only after 5.00s (2 x 2.00s + 1.00s); allowed: "
                + "(maxAttempts - 1) x timeout + minimum backoff < deadline");
    }

    @Test
    void crossFieldProblemsOfTheBuildersAreMappedToTheirKeys() {
        assertThat(problems("""
                dependencies:
                  catalog:
                    jdbc: {url: "jdbc:postgresql://127.0.0.1:1/shop"}
                    pool: {max_size: 2, min_idle: 5}
                  payments:
                    retry:
                      backoff: {initial: 2s, max: 1s}
                """)).containsExactly(
                "shop.yaml:4:35: dependencies.catalog.pool.min_idle: 5 is out of range; allowed 0..2",
                "shop.yaml:7:35: dependencies.payments.retry.backoff.max: 1.00s is out of range; allowed 2.00s..60m00s");
    }

    @Test
    void theConnectionBudgetShowsItsArithmetic() {
        assertThat(problems("""
                connection_budget: {instances: 4, max_connections: 100}
                dependencies:
                  catalog:
                    jdbc: {url: "jdbc:postgresql://127.0.0.1:1/shop", user: shop}
                    pool: {max_size: 15}
                  orders:
                    jdbc: {url: "jdbc:postgresql://127.0.0.1:1/orders", user: shop}
                    pool: {max_size: 10}
                """)).containsExactly("shop.yaml:1:32: connection_budget: connection budget exceeded: database 127.0.0.1:1: "
                + "4 instances x (catalog 15 + orders 10 = 25) = 100 connections > 80 allowed = 100 max_connections (declared) "
                + "x (1 - 20% headroom); lower the pools' max_size, the instances, or raise max_connections");
    }

    @Test
    void everyProblemIsReportedAtOnceAndSecretsAreMasked() {
        assertThatThrownBy(() -> StrataConfig.loader().schema(ConfigSchema.core()).yaml("shop.yaml", """
                shutdown: {pause: forever}
                dependencies:
                  catalog:
                    jdbc: {url: "jdbc:postgresql://127.0.0.1:1/shop?password=hunter2", password: hunter2}
                    pool: {max_size: 0}
                  payments:
                    deadline: 1s
                    timeout: 2s
                    retry: {attempts: 2}
                    bulkhead: {max_concurent: 5}
                """).load())
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.locatedProblems()).extracting(ConfigProblem::key).containsExactly(
                            "shutdown.pause", "dependencies.catalog.pool.max_size", "dependencies.payments.deadline",
                            "dependencies.payments.bulkhead.max_concurent");
                    assertThat(e.getMessage()).doesNotContain("hunter2").contains("did you mean 'max_concurrent'?");
                    assertThat(e.problems()).hasSize(4);
                });
    }
}
