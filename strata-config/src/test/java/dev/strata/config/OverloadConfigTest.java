package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Dependency;
import dev.strata.application.Strata;
import dev.strata.call.Criticality;
import dev.strata.http.LoadShedding;
import dev.strata.resilience.AdaptiveLimit;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** adaptive_limit, throttle and http.load_shedding from YAML to the runtime. */
class OverloadConfigTest {

    private static final String YAML = """
            defaults:
              adaptive_limit: {enabled: true, max: 300}
              throttle: {enabled: true, k: 1.5}
            dependencies:
              payments:
                adaptive_limit: {algorithm: aimd, min: 4, initial: 30, backoff_ratio: 0.8}
              catalog:
                adaptive_limit: {enabled: false}
                throttle: {enabled: false}
                bulkhead: {max_concurrent: 10}
            http:
              load_shedding: {enabled: true, max: 500, retry_after: 1500ms}
            """;

    private static LoadedConfig load(String yaml) {
        return StrataConfig.loader().schema(ConfigSchema.standard()).yaml("shop.yaml", yaml).environment(Map.of()).load();
    }

    @Test
    void eachDependencyGetsItsAdaptiveLimitAndThrottleOverTheDefaults() {
        LoadedConfig config = load(YAML);
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            Dependency payments = strata.dependency("payments");
            AdaptiveLimit limit = payments.adaptiveLimit().orElseThrow();
            assertThat(limit.algorithm()).isEqualTo(AdaptiveLimit.Algorithm.AIMD);
            assertThat(limit.minLimit()).isEqualTo(4);
            assertThat(limit.maxLimit()).isEqualTo(300);
            assertThat(limit.limit()).isEqualTo(30);
            assertThat(payments.throttle()).isPresent();
            assertThat(payments.bulkhead()).isEmpty();

            Dependency catalog = strata.dependency("catalog");
            assertThat(catalog.adaptiveLimit()).isEmpty();
            assertThat(catalog.throttle()).isEmpty();
            assertThat(catalog.bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(10);
        }
        LoadShedding shedding = OverloadConfig.loadShedding(config.root(), "edge").orElseThrow();
        assertThat(shedding.limit().maxLimit()).isEqualTo(500);
        assertThat(shedding).hasToString("LoadShedding[" + shedding.limit() + ", Retry-After 2s]");
    }

    @Test
    void offByDefault() {
        LoadedConfig config = load("dependencies:\n  payments: {timeout: 1s}\n");
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.dependency("payments").adaptiveLimit()).isEmpty();
            assertThat(strata.dependency("payments").throttle()).isEmpty();
        }
        assertThat(OverloadConfig.loadShedding(config.root(), "edge")).isEmpty();
    }

    @Test
    void aBulkheadAndAnAdaptiveLimitTogetherIsALocatedError() {
        List<String> problems = problems("dependencies:\n  payments:\n    bulkhead: {max_concurrent: 5}\n    adaptive_limit: {enabled: true}\n");
        assertThat(problems).singleElement().asString().contains("dependencies.payments")
                .contains("adaptive_limit.enabled: true is not allowed together with a bulkhead; set bulkhead.enabled: false for payments");
        assertThat(problems("dependencies:\n  payments:\n    adaptive_limit: {enabled: true, tolerance: 0.5}\n")).singleElement()
                .asString().contains("adaptive_limit.tolerance: '0.5' is out of range; allowed 1..10");
    }

    @Test
    void theShedRoutesAndTheirCriticalityComeFromTheFile() {
        LoadedConfig config = load("""
                http:
                  load_shedding:
                    enabled: true
                    routes:
                      sheddable: [/recommendations, "/search/*"]
                      critical: [/checkout]
                """);
        assertThat(OverloadConfig.sheddingRoutes(config.root())).containsExactly(
                Map.entry("/checkout", Criticality.CRITICAL),
                Map.entry("/recommendations", Criticality.SHEDDABLE),
                Map.entry("/search/*", Criticality.SHEDDABLE));
        assertThat(OverloadConfig.sheddingRoutes(load(YAML).root())).isEmpty();
    }

    @Test
    void aRouteListedTwiceOrNotAPathIsALocatedError() {
        assertThat(problems("http:\n  load_shedding:\n    routes: {critical: [/checkout], sheddable: [/checkout]}\n"))
                .singleElement().asString().contains("http.load_shedding.routes.sheddable: '/checkout' is not allowed;"
                        + " it is already listed under http.load_shedding.routes.critical");
        assertThat(problems("http:\n  load_shedding:\n    routes: {critical: [checkout]}\n"))
                .singleElement().asString().contains("http.load_shedding.routes.critical")
                .contains("'checkout' is not a route path; must start with /");
    }

    private static List<String> problems(String yaml) {
        try {
            load(yaml);
        } catch (ConfigException e) {
            return e.locatedProblems().stream().map(ConfigProblem::toString).toList();
        }
        throw new AssertionError("expected a ConfigException");
    }
}
