package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Layer;
import dev.strata.observe.EventBus;
import dev.strata.jdbc.StrataDataSource;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** L4 findings with real pools on one real server: a second pool, a blown budget, settings that drift. */
class DiagnoserApplicationTest {

    private static StrataDataSource pool(String name, EventBus bus, UnaryOperator<dev.strata.pool.PoolConfig.Builder> settings) {
        // each dependency its own database on the one server: different targets, one server budget
        String url = name.equals("orders-db") ? Scenario.pgUrl() : Scenario.pgUrl(name.replace("-db", ""));
        return StrataDataSource.builder(name, url).user("postgres").password("postgres")
                .validationQuery("SELECT 1").pool(p -> settings.apply(p.events(bus))).build();
    }

    @Test
    void aSecondPoolForTheSameDependencyIsDuplicatePools() throws Exception {
        EventBus bus = EventBus.detached();
        try (StrataDataSource first = pool("orders-db", bus, p -> p.maxSize(4).minIdle(2));
             // what a hot reload or a per-request DI scope does: the same pool, made again
             StrataDataSource second = pool("orders-db", bus, p -> p.maxSize(4).minIdle(2));
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", first)
                     .dataSource("orders-db", second).build()).start()) {
            long faultAt = System.nanoTime();
            assertThat(first.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            assertThat(second.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            Verdict v = Scenario.awaitFirst(diagnoser, "duplicate-pools", Layer.APPLICATION, faultAt).first();
            assertThat(v.dependency()).isEqualTo("orders-db");
            assertThat(v.evidence()).containsEntry("pools", 2).containsEntry("openConnections", 4)
                    .containsEntry("target", "127.0.0.1:" + Scenario.pgPort() + "/postgres");
        }
    }

    @Test
    void poolsThatMayOpenMoreThanTheTargetsBudgetExceedIt() throws Exception {
        EventBus bus = EventBus.detached();
        String target = "127.0.0.1:" + Scenario.pgPort();
        try (StrataDataSource orders = pool("orders-db", bus, p -> p.maxSize(6).minIdle(1));
             StrataDataSource reports = pool("reports-db", bus, p -> p.maxSize(6).minIdle(1));
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", orders)
                     .dataSource("reports-db", reports).connectionLimit(target, 8).build()).start()) {
            long faultAt = System.nanoTime();
            Verdict v = Scenario.awaitFirst(diagnoser, "connection-budget-exceeded", Layer.APPLICATION, faultAt).first();
            assertThat(v.dependency()).isEqualTo(target);
            assertThat(v.evidence()).containsEntry("budget", 8).containsEntry("sumOfMaxSizes", 12)
                    .containsEntry("maxSizeByDependency", Map.of("orders-db", 6, "reports-db", 6));
        }
    }

    @Test
    void twoDependenciesOfOneServerWithDifferentIdleRulesDrift() throws Exception {
        EventBus bus = EventBus.detached();
        try (StrataDataSource orders = pool("orders-db", bus, p -> p.maxSize(2).idleTimeout(Duration.ofSeconds(25)));
             StrataDataSource reports = pool("reports-db", bus, p -> p.maxSize(2).idleTimeout(Duration.ofMinutes(10))
                     .noValidation());
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", orders)
                     .dataSource("reports-db", reports).build()).start()) {
            long faultAt = System.nanoTime();
            Verdict v = Scenario.awaitFirst(diagnoser, "configuration-drift", Layer.APPLICATION, faultAt).first();
            @SuppressWarnings("unchecked")
            Map<String, Object> differences = (Map<String, Object>) v.evidence().get("differences");
            assertThat(differences).containsOnlyKeys("idleTimeoutMillis", "validateIdle");
            assertThat(differences.get("idleTimeoutMillis")).isEqualTo(Map.of("orders-db", 25_000L, "reports-db", 600_000L));
        }
    }

    @Test
    void identicalPoolsOfDifferentDependenciesWithinBudgetAreHealthy() throws Exception {
        EventBus bus = EventBus.detached();
        String target = "127.0.0.1:" + Scenario.pgPort();
        try (StrataDataSource orders = pool("orders-db", bus, p -> p.maxSize(3));
             StrataDataSource reports = pool("reports-db", bus, p -> p.maxSize(3));
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", orders)
                     .dataSource("reports-db", reports).connectionLimit(target, 8).build()).start()) {
            assertThat(diagnoser.diagnose().healthy()).as(diagnoser.diagnose().toText()).isTrue();
        }
    }

    @Test
    void theRuntimesOwnDiagnosisSeesASecondPoolItsRegistryNoticed() throws Exception {
        EventBus bus = EventBus.detached();
        try (dev.strata.application.Strata strata = dev.strata.application.Strata.builder().events(bus).strict(false)
                .dependency("orders-db", d -> d.jdbc(Scenario.pgUrl(), "postgres", "postgres").pool(p -> p.maxSize(2)))
                .dependency("orders-db-reports", d -> d.jdbc(Scenario.pgUrl(), "postgres", "postgres").pool(p -> p.maxSize(2)))
                .build().start()) {
            Diagnoser diagnoser = Diagnoser.of(strata); // closed by the runtime
            long faultAt = System.nanoTime();
            Verdict v = Scenario.awaitFirst(diagnoser, "duplicate-pools", Layer.APPLICATION, faultAt).first();
            assertThat(v.evidence().get("dependencies")).isEqualTo(java.util.List.of("orders-db", "orders-db-reports"));
            assertThat(v.evidence()).containsEntry("target", "127.0.0.1:" + Scenario.pgPort() + "/postgres@postgres");
        }
    }
}
