package dev.strata.jdbc;

import dev.strata.pool.Pool;
import dev.strata.pool.PoolStats;
import dev.strata.pool.EvictionReason;
import dev.strata.testsupport.Await;
import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;

/**
 * Tests 2, 5 and 6 of issue 4 against a real PostgreSQL: killed backends, a real client that no
 * one here wrote (Flyway), connection reset on return, leaks and drain.
 */
class PostgresLifecycleTest {

    private static final TestPostgres PG = TestPostgres.shared();

    @Test
    void afterPgTerminateBackendOnEveryPooledConnectionTheNextQueriesSucceed() throws Exception {
        try (StrataDataSource ds = PG.dataSource("terminated").property("ApplicationName", "strata-terminated")
                .pool(p -> p.maxSize(10).minIdle(5)).build()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();

            assertThat(terminateBackends("strata-terminated")).isEqualTo(5);
            Thread.sleep(700); // the next borrow is past the 500 ms validation bypass window

            assertThat(StaleConnectionPostgresTest.runQueriesConcurrently(ds, 2, 25)).isEmpty();
            PoolStats stats = ds.stats();
            assertThat(stats.evicted()).isEqualTo(5);
            assertThat(stats.closed(EvictionReason.STALE)).isEqualTo(5);
            assertThat(stats.active()).isZero();
        }
    }

    @Test
    void aBackendKilledInsideTheTrustWindowFailsOneCallAsServerShutdownAndIsEvicted() throws Exception {
        try (StrataDataSource ds = PG.dataSource("terminated-hot").property("ApplicationName", "strata-terminated-hot")
                .pool(p -> p.maxSize(4).minIdle(2).validateIdleLongerThan(Duration.ofMinutes(5))).build()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            assertThat(terminateBackends("strata-terminated-hot")).isEqualTo(2);
            Thread.sleep(200); // let the server finish closing them

            List<SQLException> failures = StaleConnectionPostgresTest.runQueriesConcurrently(ds, 1, 20);

            // trusted without validation, each killed connection fails exactly one call, then is gone
            assertThat(failures).hasSize(2).allSatisfy(failure -> {
                Fault fault = FaultClassifier.DEFAULT.classify(failure);
                assertThat(fault.kind()).as("%s", failure).isIn(FaultKind.SERVER_SHUTDOWN, FaultKind.CONNECTION_RESET);
                assertThat(fault.kind().poisonsConnection()).isTrue();
            });
            assertThat(ds.stats().closed(EvictionReason.BROKEN)).isEqualTo(2);
            assertThat(ds.stats().active()).isZero();
        }
    }

    @Test
    void flywayMigratesASchemaThroughTheDataSource() throws Exception {
        try (StrataDataSource ds = PG.dataSource("flyway").pool(p -> p.maxSize(3)).build()) {
            MigrateResult result = Flyway.configure()
                    .dataSource(ds)
                    .schemas("strata_flyway")
                    .locations("classpath:db/strata-migration")
                    .load()
                    .migrate();

            assertThat(result.success).isTrue();
            assertThat(result.migrationsExecuted).isEqualTo(2);
            try (Connection connection = ds.getConnection();
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery(
                         "SELECT count(*), min(status) FROM strata_flyway.orders")) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(2);
                assertThat(rows.getString(2)).isEqualTo("new");
            }
            assertThat(ds.stats().active()).isZero();
            assertThat(ds.stats().evicted()).isZero();
        }
    }

    @Test
    void aReturnedConnectionIsResetForTheNextBorrower() throws Exception {
        try (StrataDataSource ds = PG.dataSource("reset").pool(p -> p.maxSize(1)).build()) {
            try (Connection connection = ds.getConnection()) {
                connection.setAutoCommit(false);
                connection.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
                Statement leftOpen = connection.createStatement();
                leftOpen.execute("CREATE TEMP TABLE reset_probe (n int)");
                assertThat(leftOpen.isClosed()).isFalse();
            }
            try (Connection connection = ds.getConnection()) {
                connection.setReadOnly(true);
            }
            try (Connection connection = ds.getConnection();
                 Statement statement = connection.createStatement()) {
                assertThat(connection.getAutoCommit()).isTrue();
                assertThat(connection.isReadOnly()).isFalse();
                assertThat(connection.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
                // the open transaction was rolled back, so the temp table never existed
                try (ResultSet rows = statement.executeQuery("SELECT to_regclass('pg_temp.reset_probe') IS NULL")) {
                    rows.next();
                    assertThat(rows.getBoolean(1)).isTrue();
                }
                assertThat(statement.getConnection()).isSameAs(connection);
            }
            assertThat(ds.stats().created()).isEqualTo(1);
            assertThat(ds.stats().active()).isZero();
        }
    }

    @Test
    void leaksAreReportedAndCloseDrainsEverythingBackToBaseline() throws Exception {
        warmUpDriverThreads();
        int platformThreadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<StrataEvent> events = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.create();
        bus.subscribe(events::add);
        StrataDataSource ds = PG.dataSource("drain").property("ApplicationName", "strata-drain")
                .pool(p -> p.maxSize(2).minIdle(2).acquisitionTimeout(Duration.ofSeconds(30))
                        .leakDetectionThreshold(Duration.ofMillis(200)).housekeepingInterval(Duration.ofMillis(50))
                        .events(bus))
                .build();
        assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
        assertThat(StaleConnectionPostgresTest.runQueriesConcurrently(ds, 4, 10)).isEmpty();

        Connection leaked = ds.getConnection();
        Connection held = ds.getConnection();
        Await.until(Duration.ofSeconds(10), () -> ds.stats().leaksReported() == 2);
        assertThat(events).filteredOn(e -> e.type().equals("pool.leak-suspected")).hasSize(2)
                .allSatisfy(e -> assertThat(e.message()).contains("leaksAreReportedAndCloseDrainsEverythingBackToBaseline"));

        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try (Connection ignored = ds.getConnection()) {
                waiterFailure.set(new AssertionError("a closed pool lent a connection"));
            } catch (Throwable failure) {
                waiterFailure.set(failure);
            }
        });
        Await.until(Duration.ofSeconds(10), () -> ds.stats().waiting() == 1);

        ds.close();

        assertThat(waiter.join(Duration.ofSeconds(10))).as("waiter released at once, not after 30 s").isTrue();
        assertThat(waiterFailure.get()).isInstanceOf(SQLNonTransientConnectionException.class);
        assertThatThrownBy(ds::getConnection).isInstanceOf(SQLNonTransientConnectionException.class);
        held.close();
        leaked.close();
        assertThat(ds.stats().active()).isZero();
        assertThat(ds.stats().total()).isZero();
        Await.until(Duration.ofSeconds(10), () -> backendCount("strata-drain") == 0);
        assertThat(((Pool<?>) ds.pool()).housekeeperAlive()).isFalse();
        Await.until(Duration.ofSeconds(10),
                () -> ManagementFactory.getThreadMXBean().getThreadCount() <= platformThreadsBefore);
    }

    private static void warmUpDriverThreads() throws SQLException {
        // the driver starts its own long-lived helper threads on first use; count after that
        try (StrataDataSource ds = PG.dataSource("warm-driver").build()) {
            StaleConnectionPostgresTest.selectOne(ds);
        }
    }

    static int terminateBackends(String applicationName) throws SQLException {
        try (Connection admin = PG.adminConnection();
             var statement = admin.prepareStatement(
                     "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, applicationName);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    static int backendCount(String applicationName) {
        try (Connection admin = PG.adminConnection();
             var statement = admin.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, applicationName);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
