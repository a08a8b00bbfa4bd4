package dev.strata.jdbc;

import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Issue 8 item 1, as a user met it: a Spring {@code JdbcTemplate} app on a {@link StrataDataSource},
 * an administrator terminating the backend of each running query ({@code pg_terminate_backend}).
 * Spring translates the driver's 57P01/08006 into a {@code DataAccessException}; the default
 * classifier must see the SQLState inside, so the pipeline retries and every query succeeds.
 */
class JdbcTemplateTerminatedBackendTest {

    private static final TestPostgres PG = TestPostgres.shared();
    private static final String APP = "strata-jdbctemplate-terminated";
    private static final int QUERIES = 8;

    @Test
    void jdbcTemplateQueriesSurviveTerminatedBackendsThroughTheDefaultClassifier() throws Exception {
        List<Throwable> firstAttemptFailures = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        ExecutorService killer = Executors.newSingleThreadExecutor();
        try (StrataDataSource ds = PG.dataSource("orders-db-spring").property("ApplicationName", APP)
                .pool(p -> p.maxSize(2).acquisitionTimeout(Duration.ofSeconds(5)))
                .build()) {
            JdbcTemplate jdbc = new JdbcTemplate(ds);
            Pipeline orders = Pipeline.builder("orders-db-spring")
                    .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).build())
                    .build();
            List<Integer> results = new ArrayList<>();
            for (int q = 0; q < QUERIES; q++) {
                int query = q;
                AtomicInteger attempt = new AtomicInteger();
                Future<Integer> kill = killer.submit(() -> terminateWhenRunning(Duration.ofSeconds(10)));
                int value = orders.execute(() -> {
                    attempts.incrementAndGet();
                    // the first attempt runs long enough to be terminated; the retry is quick
                    double sleepSeconds = attempt.incrementAndGet() == 1 ? 10 : 0;
                    try {
                        return jdbc.queryForObject("select ?::int from pg_sleep(?)", Integer.class, query, sleepSeconds);
                    } catch (DataAccessException e) {
                        if (attempt.get() == 1) {
                            firstAttemptFailures.add(e);
                        }
                        throw e;
                    }
                });
                assertThat(kill.get(15, TimeUnit.SECONDS)).as("backends terminated for query %d", q).isEqualTo(1);
                results.add(value);
            }
            assertThat(results).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(attempts.get()).isEqualTo(2 * QUERIES);
            assertThat(firstAttemptFailures).hasSize(QUERIES).allSatisfy(failure -> {
                assertThat(failure).isInstanceOf(DataAccessException.class);
                FaultKind kind = FaultClassifier.DEFAULT.classify(failure).kind();
                assertThat(kind).isIn(FaultKind.SERVER_SHUTDOWN, FaultKind.CONNECTION_RESET);
                assertThat(FaultClassifier.DEFAULT.classify(failure).detail()).contains(failure.getClass().getSimpleName());
            });
            assertThat(ds.stats().active()).isZero();
        } finally {
            killer.shutdownNow();
            assertThat(killer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Waits (bounded) until this app's query is running, then terminates its backend; returns how many. */
    private static int terminateWhenRunning(Duration within) throws Exception {
        long end = System.nanoTime() + within.toNanos();
        try (Connection admin = PG.adminConnection();
             PreparedStatement kill = admin.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE application_name = ? AND state = 'active' AND query LIKE '%pg_sleep%'")) {
            kill.setString(1, APP);
            while (System.nanoTime() - end < 0) {
                try (ResultSet rows = kill.executeQuery()) {
                    rows.next();
                    int killed = rows.getInt(1);
                    if (killed > 0) {
                        return killed;
                    }
                }
                Thread.sleep(20);
            }
        }
        return 0;
    }
}
