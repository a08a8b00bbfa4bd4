package dev.strata.jdbc;

import dev.strata.pool.PoolConfig;
import dev.strata.pool.PoolStats;
import dev.strata.pool.EvictionReason;
import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Deadline;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests 3 and 4 of issue 4: PostgreSQL behind the ChaosProxy. A NAT that silently forgets idle
 * flows (idle_blackhole) and a slow network (latency).
 */
class ChaosPostgresTest {

    private static final TestPostgres PG = TestPostgres.shared();
    /** Generous slack for a shared 2-core machine; the bounds under test are far tighter than the hang they prevent. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private ChaosProxy proxy;

    @BeforeEach
    void startProxy() {
        proxy = ChaosProxy.start("postgres", new InetSocketAddress("127.0.0.1", PG.port()));
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
        assertThat(proxy.connectionCount()).isZero();
    }

    private StrataDataSource dataSource(String name, UnaryOperator<PoolConfig.Builder> settings) {
        return StrataDataSource.builder(name, "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres")
                .user("postgres").password("postgres")
                .validationQuery("SELECT 1") // millisecond-bounded, unlike isValid's whole seconds
                .pool(settings)
                .build();
    }

    @Test
    void blackholedIdleFlowsAreDetectedByValidationAndReplacedWithinTheDeadline() throws Exception {
        try (StrataDataSource ds = dataSource("nat-validated", p -> p.maxSize(5).minIdle(3)
                .validationTimeout(Duration.ofMillis(300)).acquisitionTimeout(Duration.ofSeconds(2))
                .keepaliveInterval(Duration.ZERO))) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            proxy.addToxic(Toxic.idleBlackhole(500));
            Thread.sleep(1_200); // the NAT has forgotten every pooled flow

            Duration deadline = Duration.ofSeconds(3);
            List<Duration> took = new CopyOnWriteArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            runConcurrently(3, 3, () -> {
                long start = System.nanoTime();
                try {
                    Deadline.after(deadline).call(() -> StaleConnectionPostgresTest.selectOne(ds));
                } catch (Exception failure) {
                    failures.add(failure);
                } finally {
                    took.add(Duration.ofNanos(System.nanoTime() - start));
                }
            });

            assertThat(failures).isEmpty();
            assertThat(took).hasSize(9).allSatisfy(d -> assertThat(d).isLessThan(deadline.plus(SLACK)));
            PoolStats stats = ds.stats();
            assertThat(stats.closed(EvictionReason.STALE)).isGreaterThanOrEqualTo(3);
            assertThat(stats.staleDetected()).isGreaterThanOrEqualTo(3);
            assertThat(stats.active()).isZero();
        }
    }

    @Test
    void keepalivePingsKeepTheNatFlowAliveSoNothingGoesStale() throws Exception {
        try (StrataDataSource ds = dataSource("nat-keepalive", p -> p.maxSize(5).minIdle(3)
                .validationTimeout(Duration.ofMillis(500)).keepaliveInterval(Duration.ofMillis(250)))) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            proxy.addToxic(Toxic.idleBlackhole(1_500));
            Thread.sleep(3_000); // twice the NAT's idle timeout

            assertThat(StaleConnectionPostgresTest.runQueriesConcurrently(ds, 3, 5)).isEmpty();
            PoolStats stats = ds.stats();
            assertThat(stats.staleDetected()).isZero();
            assertThat(stats.evicted()).isZero();
            // The pool may grow past min idle while keepalive pings briefly hold idle connections
            // and three borrowers arrive at once; what matters is that none was replaced.
            assertThat(stats.created()).isBetween(3L, 5L);
        }
    }

    @Test
    void withoutValidationABlackholedQueryFailsAtTheDeadlineClassifiedAsNetwork() throws Exception {
        try (StrataDataSource ds = dataSource("nat-unguarded", p -> p.maxSize(2).minIdle(1).noValidation()
                .keepaliveInterval(Duration.ZERO))) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            proxy.addToxic(Toxic.idleBlackhole(300));
            Thread.sleep(800);

            Duration deadline = Duration.ofMillis(1_500);
            long start = System.nanoTime();
            SQLException failure = null;
            try {
                Deadline.after(deadline).call(() -> StaleConnectionPostgresTest.selectOne(ds));
            } catch (SQLException e) {
                failure = e;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat((Throwable) failure).as("the query on a forgotten flow must fail, not hang").isNotNull();
            assertThat(took).isLessThan(deadline.plus(SLACK));
            Fault fault = FaultClassifier.DEFAULT.classify(failure);
            assertThat(fault.layer()).isEqualTo(Layer.NETWORK);
            assertThat(fault.kind()).isEqualTo(FaultKind.STALE_CONNECTION);
            assertThat(ds.stats().closed(EvictionReason.BROKEN)).isEqualTo(1);
            assertThat(ds.stats().active()).isZero();
        }
    }

    @Test
    void underLatencyAcquisitionFailsFastAtItsTimeoutAndThePoolRecovers() throws Exception {
        Duration acquisitionTimeout = Duration.ofMillis(300);
        try (StrataDataSource ds = dataSource("slow-db", p -> p.maxSize(2).minIdle(2)
                .acquisitionTimeout(acquisitionTimeout).keepaliveInterval(Duration.ZERO))) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 600, 0));

            List<Duration> timedOut = new CopyOnWriteArrayList<>();
            List<Throwable> otherFailures = new CopyOnWriteArrayList<>();
            runConcurrently(6, 1, () -> {
                long start = System.nanoTime();
                try {
                    StaleConnectionPostgresTest.selectOne(ds);
                } catch (SQLTransientConnectionException exhausted) {
                    timedOut.add(Duration.ofNanos(System.nanoTime() - start));
                    Fault fault = FaultClassifier.DEFAULT.classify(exhausted);
                    assertThat(fault.kind()).isEqualTo(FaultKind.POOL_EXHAUSTED);
                    assertThat(fault.layer()).isEqualTo(Layer.RESOURCE);
                    assertThat((Throwable) exhausted).hasMessageContaining("size 2/2, active 2");
                } catch (SQLException other) {
                    otherFailures.add(other);
                }
            });

            assertThat(otherFailures).isEmpty();
            assertThat(timedOut).as("callers beyond the pool's size fail fast").isNotEmpty()
                    .allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(acquisitionTimeout.minusMillis(10))
                            .isLessThan(acquisitionTimeout.plus(SLACK)));
            PoolStats slow = ds.stats();
            assertThat(slow.timeouts()).isEqualTo(timedOut.size());
            assertThat(slow.waitMax()).isGreaterThanOrEqualTo(acquisitionTimeout.minusMillis(10));

            proxy.removeAllToxics();
            assertThat(StaleConnectionPostgresTest.runQueriesConcurrently(ds, 2, 10)).isEmpty();
            assertThat(ds.stats().timeouts()).isEqualTo(slow.timeouts());
            assertThat(ds.stats().active()).isZero();
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void runConcurrently(int threads, int iterations, Body body) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < iterations; i++) {
                    try {
                        body.run();
                    } catch (Throwable unexpected) {
                        errors.add(unexpected);
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            assertThat(worker.join(Duration.ofSeconds(60))).isTrue();
        }
        assertThat(errors).isEmpty();
    }
}
