package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.Layer;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Pipeline;
import dev.strata.jdbc.StrataDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** L2 findings, each produced for real: a slow server, an undersized pool, a leaking code path, the server's limit. */
class DiagnoserResourceTest {

    /** Runs {@code sql} in a loop on {@code threads} virtual threads until {@code stop}; failures are the point. */
    private static List<Thread> load(StrataDataSource ds, int threads, String sql, AtomicBoolean stop) {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    try (Connection c = ds.getConnection()) {
                        Scenario.selectOne(c, sql);
                    } catch (Exception expected) {
                        // acquisition timeouts under starvation
                    }
                }
            }));
        }
        return workers;
    }

    private static void stopAll(AtomicBoolean stop, List<Thread> workers) throws InterruptedException {
        stop.set(true);
        for (Thread t : workers) {
            assertThat(t.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aServerThatSlowsDownStarvesThePoolAndTheCauseIsSlowQueries() throws Exception {
        EventBus bus = EventBus.detached();
        try (ChaosProxy path = ChaosProxy.start("orders-db", new InetSocketAddress("127.0.0.1", Scenario.pgPort()));
             StrataDataSource ds = StrataDataSource.builder("orders-db", "jdbc:postgresql://127.0.0.1:" + path.port() + "/postgres")
                     .user("postgres").password("postgres").validationQuery("SELECT 1")
                     .pool(p -> p.maxSize(3).minIdle(3).acquisitionTimeout(Duration.ofMillis(150)).events(bus)).build();
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", ds).build())
                     .pollInterval(Duration.ofMillis(50)).window(Duration.ofSeconds(5)).start()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = load(ds, 2, "SELECT pg_sleep(0.01)", stop); // healthy: hold ~10 ms measured
            Thread.sleep(1_500);
            assertThat(diagnoser.diagnose().healthy()).as(diagnoser.diagnose().toText()).isTrue();
            path.addToxic(Toxic.latency(Direction.DOWNSTREAM, 300, 0)); // the server slows down
            long faultAt = System.nanoTime();
            workers.addAll(load(ds, 6, "SELECT pg_sleep(0.01)", stop));
            try {
                Verdict v = Scenario.awaitFirst(diagnoser, "pool-starvation", Layer.RESOURCE, faultAt).first();
                assertThat(v.evidence()).containsEntry("cause", "slow-queries").containsEntry("maxSize", 3);
                assertThat((Integer) v.evidence().get("maxWaiting")).isPositive();
                assertThat((Double) v.evidence().get("holdMillis")).isGreaterThan(3 * (Double) v.evidence().get("healthyHoldMillis"));
            } finally {
                stopAll(stop, workers);
            }
        }
    }

    @Test
    void moreLoadThanThePoolCanCarryIsPoolTooSmallWithLittlesLaw() throws Exception {
        EventBus bus = EventBus.detached();
        try (StrataDataSource ds = StrataDataSource.builder("catalog-db", Scenario.pgUrl())
                     .user("postgres").password("postgres").validationQuery("SELECT 1")
                     .pool(p -> p.maxSize(2).minIdle(2).acquisitionTimeout(Duration.ofMillis(100)).events(bus)).build();
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("catalog-db", ds).build())
                     .pollInterval(Duration.ofMillis(50)).window(Duration.ofSeconds(5)).start()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            AtomicBoolean stop = new AtomicBoolean();
            // queries held ~50 ms by the server itself, the same before and during the overload
            List<Thread> workers = load(ds, 1, "SELECT pg_sleep(0.05)", stop);
            Thread.sleep(1_500);
            long faultAt = System.nanoTime();
            workers.addAll(load(ds, 11, "SELECT pg_sleep(0.05)", stop));
            try {
                Verdict v = Scenario.awaitFirst(diagnoser, "pool-starvation", Layer.RESOURCE, faultAt).first();
                assertThat(v.evidence()).as(v.toText()).containsEntry("cause", "pool-too-small");
                assertThat((Long) v.evidence().get("littlesLawSize")).isGreaterThan(2);
            } finally {
                stopAll(stop, workers);
            }
        }
    }

    /** The leaking code path: borrows for a report and forgets to give the connection back. */
    private static Connection leakyMonthlyReport(StrataDataSource ds) throws Exception {
        Connection c = ds.getConnection();
        Scenario.selectOne(c, "SELECT 1");
        return c; // never closed by this path
    }

    @Test
    void aCodePathThatNeverReturnsItsConnectionIsALeakWithTheBorrowingStack() throws Exception {
        EventBus bus = EventBus.detached();
        List<Connection> leaked = new ArrayList<>();
        try (StrataDataSource ds = StrataDataSource.builder("billing-db", Scenario.pgUrl())
                     .user("postgres").password("postgres").validationQuery("SELECT 1")
                     .pool(p -> p.maxSize(3).leakDetectionThreshold(Duration.ofMillis(300))
                             .housekeepingInterval(Duration.ofMillis(50)).events(bus)).build();
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("billing-db", ds).build())
                     .pollInterval(Duration.ofMillis(50)).start()) {
            long faultAt = System.nanoTime();
            leaked.add(leakyMonthlyReport(ds));
            leaked.add(leakyMonthlyReport(ds));
            Verdict v = Scenario.awaitFirst(diagnoser, "connection-leak", Layer.RESOURCE, faultAt).first();
            assertThat((Long) v.evidence().get("leaksReported")).isGreaterThanOrEqualTo(1);
            assertThat((String) v.evidence().get("borrowedAt")).contains("leakyMonthlyReport");
        } finally {
            for (Connection c : leaked) {
                c.close();
            }
        }
    }

    @Test
    void theServersConnectionLimitIsReportedFromSqlState53300() throws Exception {
        try (EmbeddedPostgres small = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "6").setServerConfig("superuser_reserved_connections", "1").start()) {
            String url = "jdbc:postgresql://127.0.0.1:" + small.getPort() + "/postgres";
            try (Connection admin = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = admin.createStatement()) {
                s.execute("CREATE ROLE app LOGIN PASSWORD 'app'");
            }
            EventBus bus = EventBus.detached();
            List<Connection> others = new ArrayList<>();
            try (StrataDataSource ds = StrataDataSource.builder("orders-db", url).user("app").password("app")
                         .validationQuery("SELECT 1")
                         .pool(p -> p.maxSize(4).acquisitionTimeout(Duration.ofSeconds(1)).events(bus)).build();
                 Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", ds).build())
                         .start()) {
                for (int i = 0; i < 4; i++) { // another service holds most of the server's 5 ordinary slots
                    others.add(DriverManager.getConnection(url, "app", "app"));
                }
                Pipeline pipeline = Pipeline.builder("orders-db").events(bus).build();
                long faultAt = System.nanoTime();
                List<Connection> held = new ArrayList<>();
                try {
                    for (int i = 0; i < 3; i++) {
                        try {
                            held.add(pipeline.execute(ds::getConnection));
                        } catch (RuntimeException refused) {
                            // the server said 53300
                        }
                    }
                } finally {
                    for (Connection c : held) {
                        c.close();
                    }
                }
                Verdict v = Scenario.awaitFirst(diagnoser, "server-connection-limit", Layer.RESOURCE, faultAt).first();
                assertThat(v.evidence()).containsEntry("sqlState", "53300");
                assertThat((Long) v.evidence().get("refusals")).isGreaterThanOrEqualTo(1);
            } finally {
                for (Connection c : others) {
                    c.close();
                }
            }
        }
    }
}
