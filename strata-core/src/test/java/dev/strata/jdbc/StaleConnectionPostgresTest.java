package dev.strata.jdbc;

import dev.strata.pool.PoolStats;
import dev.strata.pool.EvictionReason;
import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The 95% problem (seeds 000 and 003): the server drops connections the pool still counts as
 * idle. PostgreSQL's idle_session_timeout (2 s, set per session through the driver's options)
 * plays the part of the server or NAT idle timeout.
 */
class StaleConnectionPostgresTest {

    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration SERVER_IDLE_TIMEOUT = Duration.ofSeconds(2);

    private StrataDataSource.Builder dataSourceWithServerIdleTimeout(String name) {
        return PG.dataSource(name).property("options", "-c idle_session_timeout=" + SERVER_IDLE_TIMEOUT.toMillis());
    }

    @Test
    void withStrataDefaultsStaleConnectionsAreReplacedAndNoQueryFails() throws Exception {
        List<StrataEvent> events = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.create();
        bus.subscribe(events::add);
        try (StrataDataSource ds = dataSourceWithServerIdleTimeout("orders-db")
                .pool(p -> p.maxSize(10).minIdle(5).events(bus))
                .build()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            Thread.sleep(SERVER_IDLE_TIMEOUT.toMillis() + 1_000); // every idle connection is now dead on the server

            List<SQLException> failures = runQueriesConcurrently(ds, 4, 50);

            assertThat(failures).isEmpty();
            PoolStats stats = ds.stats();
            assertThat(stats.closed(EvictionReason.STALE)).isGreaterThanOrEqualTo(5);
            assertThat(stats.staleDetected()).isEqualTo(stats.closed(EvictionReason.STALE));
            assertThat(stats.acquisitions()).isGreaterThanOrEqualTo(200);
            assertThat(stats.active()).isZero();
            List<StrataEvent> replaced = events.stream().filter(e -> e.type().equals("pool.stale-replaced")).toList();
            assertThat(replaced).hasSize((int) stats.staleDetected());
            assertThat(replaced).allSatisfy(event -> {
                assertThat(event.fault().kind()).isEqualTo(FaultKind.STALE_CONNECTION);
                assertThat(event.fault().layer()).isEqualTo(Layer.NETWORK);
                assertThat(event.logLine()).matches("INFO \\[orders-db\\] replaced stale connection \\(idle \\d\\.\\d\\ds, NETWORK/stale-connection; check failed after \\d+(us|ms)\\)");
            });
        }
    }

    @Test
    void withoutValidationAndKeepaliveEveryFailureIsClassifiedAsStaleNotAsAQueryError() throws Exception {
        try (StrataDataSource ds = dataSourceWithServerIdleTimeout("orders-db-unguarded")
                .pool(p -> p.maxSize(10).minIdle(5).noValidation().keepaliveInterval(Duration.ZERO))
                .build()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            Thread.sleep(SERVER_IDLE_TIMEOUT.toMillis() + 1_000);

            List<SQLException> failures = runQueriesConcurrently(ds, 1, 200);

            assertThat(failures).as("the dead idle connections reach callers").isNotEmpty().hasSizeLessThanOrEqualTo(5);
            for (SQLException failure : failures) {
                Fault fault = FaultClassifier.DEFAULT.classify(failure);
                assertThat(fault.kind()).as("classification of %s", failure).isEqualTo(FaultKind.STALE_CONNECTION);
                assertThat(fault.layer()).isEqualTo(Layer.NETWORK);
                assertThat(fault.detail()).startsWith("idle ");
            }
            PoolStats stats = ds.stats();
            assertThat(stats.staleDetected()).isEqualTo(failures.size());
            assertThat(stats.closed(EvictionReason.BROKEN)).isEqualTo(failures.size());
            assertThat(stats.active()).isZero();
        }
    }

    static List<SQLException> runQueriesConcurrently(StrataDataSource ds, int threads, int queriesPerThread)
            throws InterruptedException {
        List<SQLException> failures = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < queriesPerThread; i++) {
                    try {
                        assertThat(selectOne(ds)).isEqualTo(1);
                    } catch (SQLException failure) {
                        failures.add(failure);
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            assertThat(worker.join(Duration.ofSeconds(60))).as("worker finished").isTrue();
        }
        return failures;
    }

    static int selectOne(StrataDataSource ds) throws SQLException {
        try (Connection connection = ds.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT 1")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
