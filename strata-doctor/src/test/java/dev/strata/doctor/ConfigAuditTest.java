package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.strata.fault.Layer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each audit rule with a configuration that triggers it and one that does not. */
class ConfigAuditTest {

    /** A properties-style configuration: key, value, key, value ... */
    private static AuditReport audit(String... keyValues) {
        Map<String, String> dotted = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            dotted.put(keyValues[i], keyValues[i + 1]);
        }
        return ConfigAudit.audit(ConfigAudit.tree(dotted));
    }

    private static final String URL = "dependencies.orders.jdbc.url";
    private static final String PG = "jdbc:postgresql://db:5432/orders";

    private static Finding only(AuditReport report, String id) {
        assertThat(report.withId(id)).as(report.toText()).hasSize(1);
        return report.withId(id).getFirst();
    }

    @Test
    void keepaliveAtOrAboveTheServerOrPathIdleTimeout() {
        Finding f = only(audit(URL, PG, "dependencies.orders.pool.keepalive", "60s",
                "dependencies.orders.expect.path_idle_timeout", "350s", "dependencies.orders.expect.server_idle_timeout", "30s"),
                "keepalive-not-below-idle-timeout");
        assertThat(f.layer()).isEqualTo(Layer.NETWORK);
        assertThat(f.severity()).isEqualTo(Severity.ERROR);
        assertThat(f.evidence()).containsEntry("keepaliveMillis", 60_000L).containsEntry("idleLimitMillis", 30_000L);
        assertThat(f.fix()).contains("15.0s");
        assertThat(audit(URL, PG, "dependencies.orders.pool.keepalive", "20s", "dependencies.orders.pool.idle_timeout", "25s",
                "dependencies.orders.expect.server_idle_timeout", "30s").findings()).isEmpty();
    }

    @Test
    void poolIdleTimeoutAtOrAboveTheServers() {
        Finding f = only(audit(URL, PG, "dependencies.orders.pool.keepalive", "10s",
                "dependencies.orders.expect.server_idle_timeout", "30s"), "pool-idle-timeout-not-below-server");
        assertThat(f.layer()).isEqualTo(Layer.RESOURCE);
        assertThat(f.evidence()).containsEntry("poolIdleTimeoutMillis", 600_000L);
        assertThat(audit(URL, PG, "dependencies.orders.pool.keepalive", "10s", "dependencies.orders.pool.idle_timeout", "25s",
                "dependencies.orders.expect.server_idle_timeout", "30s").withId("pool-idle-timeout-not-below-server")).isEmpty();
    }

    @Test
    void acquisitionTimeoutAtOrAboveTheDeadlineOrLeftAt30s() {
        Finding over = only(audit(URL, PG, "dependencies.orders.deadline", "2s",
                "dependencies.orders.pool.acquisition_timeout", "2s"), "acquisition-timeout-not-below-deadline");
        assertThat(over.severity()).isEqualTo(Severity.ERROR);
        Finding habit = only(audit(URL, PG, "dependencies.orders.pool.acquisition_timeout", "30s"), "acquisition-timeout-left-at-30s");
        assertThat(habit.severity()).isEqualTo(Severity.WARNING);
        assertThat(audit(URL, PG, "dependencies.orders.deadline", "2s", "dependencies.orders.pool.acquisition_timeout", "500ms")
                .findings()).isEmpty();
    }

    @Test
    void anAttemptThatCanNeverStartIsAnErrorNamingIt() {
        // 3 attempts x 2 s, fixed 1 s backoff without jitter: attempt 3 starts at the earliest after 2 x 2 s + 2 s = 6 s >= 5 s
        Finding f = only(audit("dependencies.payments.deadline", "5s", "dependencies.payments.timeout", "2s",
                "dependencies.payments.retry.attempts", "3", "dependencies.payments.retry.backoff.type", "fixed",
                "dependencies.payments.retry.backoff.initial", "1s", "dependencies.payments.retry.jitter", "none"),
                "retries-exceed-deadline");
        assertThat(f.layer()).isEqualTo(Layer.RESILIENCE);
        assertThat(f.summary()).startsWith("attempt 3 of 3 can never start: attempt 3 starts at the earliest after 6.00s");
        assertThat(f.evidence()).containsEntry("firstAttemptThatCannotStart", 3).containsEntry("earliestStartMillis", 6_000L)
                .containsEntry("deadlineMillis", 5_000L);
        assertThat(audit("dependencies.payments.deadline", "5s", "dependencies.payments.timeout", "2s",
                "dependencies.payments.retry.attempts", "2", "dependencies.payments.retry.backoff.initial", "1s").findings())
                .isEmpty();
        // without a deadline the same arithmetic is only a warning: nothing bounds it
        assertThat(only(audit("dependencies.payments.timeout", "2s", "dependencies.payments.retry.attempts", "3"),
                "retries-without-deadline").severity()).isEqualTo(Severity.WARNING);
    }

    @Test
    void anAttemptThatStartsOnlyWithAShortBackoffIsAWarningNotAnError() {
        // seed 001's trap 2 with full jitter: attempt 3 can start after 4 s (jitter may make the waits 0) but not
        // when both earlier attempts time out and the waits are 1 s and 2 s (7 s): the runtime accepts it, so a warning
        AuditReport report = audit("dependencies.payments.deadline", "5s", "dependencies.payments.timeout", "2s",
                "dependencies.payments.retry.attempts", "3", "dependencies.payments.retry.backoff.initial", "1s");
        assertThat(report.withId("retries-exceed-deadline")).isEmpty();
        Finding f = only(report, "retries-may-miss-deadline");
        assertThat(f.severity()).isEqualTo(Severity.WARNING);
        assertThat(f.evidence()).containsEntry("firstAttemptThatMayNotStart", 3).containsEntry("latestStartMillis", 7_000L)
                .containsEntry("earliestStartMillis", 4_000L);
    }

    @Test
    void retriesWithTheBudgetSwitchedOff() {
        Finding f = only(audit("dependencies.sms.retry.attempts", "3", "dependencies.sms.retry.budget.enabled", "false"),
                "retries-without-budget");
        assertThat(f.severity()).isEqualTo(Severity.ERROR);
        assertThat(f.evidence()).containsEntry("loadMultiplierWhenFailing", 3);
        assertThat(audit("dependencies.sms.retry.attempts", "3").withId("retries-without-budget")).isEmpty();
    }

    @Test
    void breakerDecidingOnTooFewCalls() {
        Finding f = only(audit("dependencies.search.breaker.window_size", "20", "dependencies.search.breaker.minimum_calls", "2",
                "dependencies.search.breaker.failure_rate", "50%"), "breaker-minimum-calls-too-low");
        assertThat(f.subject()).isEqualTo("dependencies.search.breaker.minimum_calls");
        assertThat(f.evidence()).containsEntry("minimumCalls", 2).containsEntry("trueRateLowPercent", 0L)
                .containsEntry("trueRateHighPercent", 100L);
        assertThat(audit("dependencies.search.breaker.window_size", "20", "dependencies.search.breaker.minimum_calls", "10")
                .withId("breaker-minimum-calls-too-low")).isEmpty();
        assertThat(audit("dependencies.search.breaker.mode", "consecutive_failures").withId("breaker-minimum-calls-too-low"))
                .isEmpty();
    }

    @Test
    void retriesWithoutJitter() {
        only(audit("defaults.retry.jitter", "none", "dependencies.search.retry.attempts", "3"), "retry-without-jitter");
        assertThat(audit("defaults.retry.jitter", "full", "dependencies.search.retry.attempts", "3").findings()).isEmpty();
    }

    @Test
    void retriesOnNonIdempotentWorkWithoutAKey() {
        Finding f = only(audit("dependencies.payments.retry.attempts", "3", "dependencies.payments.expect.idempotent", "false"),
                "retry-non-idempotent");
        assertThat(f.severity()).isEqualTo(Severity.ERROR);
        assertThat(audit("dependencies.payments.retry.attempts", "3", "dependencies.payments.expect.idempotent", "false",
                "dependencies.payments.expect.idempotency_key", "true").findings()).isEmpty();
        assertThat(audit("dependencies.payments.retry.enabled", "false", "dependencies.payments.retry.attempts", "3",
                "dependencies.payments.expect.idempotent", "false").findings()).isEmpty();
    }

    @Test
    void bulkheadLargerThanThePoolBehindIt() {
        Finding f = only(audit(URL, PG, "dependencies.orders.pool.max_size", "5", "dependencies.orders.bulkhead.max_concurrent", "10"),
                "bulkhead-larger-than-pool");
        assertThat(f.evidence()).containsEntry("bulkheadMaxConcurrent", 10).containsEntry("poolMaxSize", 5);
        assertThat(audit(URL, PG, "dependencies.orders.pool.max_size", "10", "dependencies.orders.bulkhead.max_concurrent", "10")
                .findings()).isEmpty();
    }

    @Test
    void downstreamBudgetNotBelowTheUpstreamTimeout() {
        Finding f = only(audit("service.timeout", "3s", "dependencies.inventory.deadline", "5s"),
                "downstream-timeout-not-below-upstream");
        assertThat(f.evidence()).containsEntry("dependencyBudgetMillis", 5_000L).containsEntry("upstreamTimeoutMillis", 3_000L);
        assertThat(audit("service.timeout", "3s", "dependencies.inventory.deadline", "2s").findings()).isEmpty();
    }

    @Test
    void severalHalfOpenProbesOnAFragileDependency() {
        only(audit("dependencies.legacy.breaker.half_open_permits", "5", "dependencies.legacy.expect.fragile", "true"),
                "half-open-permits-on-fragile");
        assertThat(audit("dependencies.legacy.breaker.half_open_permits", "1", "dependencies.legacy.expect.fragile", "true")
                .findings()).isEmpty();
        assertThat(audit("dependencies.legacy.breaker.half_open_permits", "5").findings()).isEmpty();
    }

    @Test
    void poolSizeAgainstLittlesLawForTheDeclaredRateAndLatency() {
        // the seed: 200 req/s x 50 ms x 1.5 = 15
        Finding small = only(audit(URL, PG, "dependencies.orders.pool.max_size", "10", "dependencies.orders.expect.rate", "200/s",
                "dependencies.orders.expect.latency", "50ms"), "pool-smaller-than-littles-law");
        assertThat(small.evidence()).containsEntry("needed", 15L);
        Finding large = only(audit(URL, PG, "dependencies.orders.pool.max_size", "100", "dependencies.orders.expect.rate", "200",
                "dependencies.orders.expect.latency", "50ms"), "pool-larger-than-littles-law");
        assertThat(large.severity()).isEqualTo(Severity.WARNING);
        assertThat(audit(URL, PG, "dependencies.orders.pool.max_size", "16", "dependencies.orders.expect.rate", "200",
                "dependencies.orders.expect.latency", "50ms").findings()).isEmpty();
    }

    @Test
    void theGlobalConnectionBudget() {
        Finding f = only(audit("connection_budget.instances", "3", "connection_budget.max_connections", "100",
                URL, PG, "dependencies.orders.pool.max_size", "20",
                "dependencies.catalog.jdbc.url", "jdbc:postgresql://db/catalog", "dependencies.catalog.pool.max_size", "10"),
                "connection-budget-exceeded");
        assertThat(f.layer()).isEqualTo(Layer.APPLICATION);
        assertThat(f.evidence()).containsEntry("server", "db:5432").containsEntry("needed", 90L).containsEntry("allowed", 80L);
        assertThat(audit("connection_budget.instances", "2", "connection_budget.max_connections", "100",
                URL, PG, "dependencies.orders.pool.max_size", "20",
                "dependencies.catalog.jdbc.url", "jdbc:postgresql://db/catalog", "dependencies.catalog.pool.max_size", "10")
                .findings()).isEmpty();
    }

    @Test
    void healthWiredToADependency() {
        AuditReport report = audit(URL, PG, "dependencies.payments.timeout", "1s", "health.readiness", "orders, payments",
                "health.liveness", "payments");
        assertThat(report.withId("health-depends-on-dependency")).extracting(Finding::subject)
                .containsExactlyInAnyOrder("health.liveness", "health.readiness");
        assertThat(audit(URL, PG, "health.readiness", "orders").findings()).isEmpty();
    }

    @Test
    void findingsGoBottomUpAndTheReportCountsErrors() {
        AuditReport report = audit("connection_budget.max_connections", "10", URL, PG, "dependencies.orders.pool.max_size", "20",
                "dependencies.orders.pool.keepalive", "0", "dependencies.orders.expect.path_idle_timeout", "350s",
                "dependencies.orders.pool.idle_timeout", "5m");
        assertThat(report.findings()).extracting(Finding::id)
                .containsExactly("keepalive-not-below-idle-timeout", "connection-budget-exceeded");
        assertThat(report.errors()).isEqualTo(2);
        assertThat(report.toJson()).startsWith("{\"errors\":2,\"warnings\":0,\"findings\":[{\"id\":\"keepalive-not-below-idle-timeout\","
                + "\"layer\":\"NETWORK\",\"severity\":\"error\"");
    }

    @Test
    void anUnreadableValueNamesItsKey() {
        assertThatIllegalArgumentException().isThrownBy(() -> audit("dependencies.orders.timeout", "soon"))
                .withMessageContaining("dependencies.orders.timeout").withMessageContaining("soon");
    }
}
