package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import dev.strata.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The runtime against a real PostgreSQL: real max_connections, readiness at min idle, pools drained on shutdown. */
class PostgresRuntimeTest {

    private static StrataBuilder builder(String app, int instances, int maxSize, int minIdle) {
        return Strata.builder().events(EventBus.detached()).shutdown(Duration.ZERO, Duration.ofSeconds(10))
                .connectionBudget(new ConnectionBudget(instances, 0.2, 0))
                .dependency("catalog", d -> d.jdbc(TestPostgres.shared().url(), "postgres", "postgres")
                        .driverProperty("ApplicationName", app).pool(p -> p.maxSize(maxSize).minIdle(minIdle)));
    }

    @Test
    void startChecksTheRealMaxConnectionsLessSuperuserReservedAndStartsNothingWhenTheBudgetDoesNotFit() throws Exception {
        Strata strata = builder("l4-budget-over", 5, 20, 1).build(); // declared nothing: passes at load
        assertThatThrownBy(strata::start)
                .isInstanceOf(ConnectionBudget.ExceededException.class)
                // superuser_reserved_connections (3 here, PostgreSQL's default) are not for this user
                .hasMessageContaining("5 instances x (catalog 20) = 100 connections > 77 allowed = 97 max_connections "
                        + "(SHOW max_connections; SHOW superuser_reserved_connections) x (1 - 20% headroom)");
        assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        assertThat(strata.dataSources()).allSatisfy(ds -> assertThat(ds.pool().isClosed()).isTrue());
        assertThat(TestPostgres.shared().backends("l4-budget-over")).isZero();
    }

    @Test
    void readyAfterRequiredPoolsWarmAndShutdownLeavesNoBackends() throws Exception {
        Strata strata = builder("l4-ready", 2, 10, 2).build().start();
        assertThat(strata.connectionBudgetChecks()).singleElement().satisfies(check -> {
            assertThat(check.fits()).isTrue();
            assertThat(check.explain()).contains("2 instances x (catalog 10) = 20 connections <= 77 allowed");
        });
        assertThat(strata.health().ready().up()).isTrue();
        try (Connection c = strata.dependency("catalog").dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
        assertThat(TestPostgres.shared().backends("l4-ready")).isGreaterThanOrEqualTo(2);
        assertThat(strata.health().dependenciesJson()).contains("\"pool\":{\"max\":10");

        strata.close();

        assertThat(strata.shutdownReport().steps()).extracting(ShutdownStep::step).contains("close data-source catalog");
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (TestPostgres.shared().backends("l4-ready") > 0 && System.nanoTime() < end) {
            Thread.sleep(20); // the server notices closed sockets asynchronously
        }
        assertThat(TestPostgres.shared().backends("l4-ready")).isZero();
    }

    @Test
    void aRequiredDatabaseNeverReachedWithMinIdleZeroIsNotReady() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort(); // closed again: nothing listens there
        }
        Strata strata = Strata.builder().events(EventBus.detached()).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                .startTimeout(Duration.ofMillis(300))
                .dependency("orders", d -> d.jdbc("jdbc:postgresql://127.0.0.1:" + closedPort + "/shop", "postgres", "postgres")
                        .pool(p -> p.maxSize(2).minIdle(0).acquisitionTimeout(Duration.ofMillis(500))))
                .build().start();
        try {
            Health.Probe ready = strata.health().ready();
            assertThat(ready.up()).isFalse();
            assertThat(ready.reasons()).singleElement().asString().contains("orders").contains("not reached");
            Thread.sleep(200); // a later probe, after the background attempt failed: still down
            assertThat(strata.health().ready().up()).isFalse();
        } finally {
            strata.close();
        }
    }

    @Test
    void aRequiredDatabaseWithMinIdleZeroBecomesReadyOnceReached() throws Exception {
        Strata strata = builder("l4-ready-zero", 2, 4, 0).build().start();
        try {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!strata.health().ready().up() && System.nanoTime() < end) {
                Thread.sleep(20); // readiness proves reachability in the background
            }
            assertThat(strata.health().ready().up()).isTrue();
            assertThat(strata.dependency("catalog").dataSource().stats().created()).isPositive();
        } finally {
            strata.close();
        }
    }
}
