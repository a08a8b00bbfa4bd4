package dev.strata.jdbc;

import dev.strata.pool.EvictionReason;
import dev.strata.testsupport.Await;
import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, items 7, 8 and 9 against a real PostgreSQL: every JDBC object handed out is wrapped
 * (one eviction point; the driver's connection never escapes), deadlines are kept to the
 * millisecond, and per-attempt timeouts cancel statements instead of destroying connections.
 */
class JdbcWrappingPostgresTest {

    private static final TestPostgres PG = TestPostgres.shared();

    private static StrataDataSource dataSource(String name, int maxSize) {
        return PG.dataSource(name).pool(p -> p.maxSize(maxSize).keepaliveInterval(Duration.ZERO).events(EventBus.detached())).build();
    }

    @Test
    void theDriversConnectionNeverEscapesThroughStatementsResultSetsOrMetadata() throws Exception {
        try (StrataDataSource ds = dataSource("no-escape", 1);
                Connection connection = ds.getConnection();
                PreparedStatement statement = connection.prepareStatement("SELECT 1");
                ResultSet rs = statement.executeQuery()) {
            assertThat(statement.getConnection()).isSameAs(connection);
            assertThat(rs.getStatement()).isSameAs(statement);
            assertThat(rs.getStatement().getConnection()).isSameAs(connection);
            assertThat(rs.getClass().getName()).doesNotStartWith("org.postgresql");

            DatabaseMetaData metaData = connection.getMetaData();
            assertThat(metaData.getConnection()).isSameAs(connection);
            assertThat(metaData.getClass().getName()).doesNotStartWith("org.postgresql");
            try (ResultSet tables = metaData.getTables(null, "pg_catalog", "pg_class", null)) {
                assertThat(tables.getClass().getName()).doesNotStartWith("org.postgresql");
                Statement producer = tables.getStatement();
                assertThat(producer == null || producer.getConnection() == connection)
                        .as("a metadata result set gives no statement, or one on the pooled connection").isTrue();
            }
            try (Statement plain = connection.createStatement(); ResultSet keys = plain.getGeneratedKeys()) {
                assertThat(keys == null || !keys.getClass().getName().startsWith("org.postgresql")).isTrue();
            }
        }
    }

    @Test
    void aConnectionKilledDuringAFetchIsEvictedAndTheCaughtExceptionCarriesItsLayer() throws Exception {
        try (StrataDataSource ds = dataSource("mid-fetch", 1)) {
            SQLException caught = null;
            try (Connection connection = ds.getConnection()) {
                connection.setAutoCommit(false); // a fetch size only streams inside a transaction
                int pid;
                try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pid = rs.getInt(1);
                }
                try (Statement statement = connection.createStatement()) {
                    statement.setFetchSize(10);
                    try (ResultSet rs = statement.executeQuery("SELECT g FROM generate_series(1, 100000) g")) {
                        rs.next();
                        try (Connection admin = PG.adminConnection(); Statement kill = admin.createStatement()) {
                            kill.execute("SELECT pg_terminate_backend(" + pid + ")");
                        }
                        while (rs.next()) {
                            // the next batch is fetched from a connection that no longer exists
                        }
                    }
                }
            } catch (SQLException failure) {
                caught = failure;
            }
            assertThat((Throwable) caught).as("the fetch fails").isNotNull();
            assertThat(caught.getCause()).as("the failure names its layer").isInstanceOf(StrataException.class);
            Fault fault = ((StrataException) caught.getCause()).fault();
            assertThat(fault.layer()).isIn(Layer.NETWORK, Layer.REMOTE);
            assertThat(FaultClassifier.DEFAULT.classify(caught).layer()).isEqualTo(fault.layer());
            assertThat(ds.stats().closed(EvictionReason.BROKEN)).as("evicted at the failure, not by a failed reset").isEqualTo(1);
            assertThat(StaleConnectionPostgresTest.selectOne(ds)).isEqualTo(1);
        }
    }

    @Test
    void aStatementIsCancelledAtTheDeadlineToTheMillisecondAndTheConnectionSurvives() throws Exception {
        try (StrataDataSource ds = dataSource("ms-deadline", 1)) {
            StaleConnectionPostgresTest.selectOne(ds); // one connection, opened
            long createdBefore = ds.stats().created();
            long start = System.nanoTime();
            SQLException failure = null;
            try {
                Deadline.after(Duration.ofMillis(150)).call(() -> {
                    try (Connection connection = ds.getConnection(); Statement statement = connection.createStatement()) {
                        statement.execute("SELECT pg_sleep(5)");
                    }
                    return null;
                });
            } catch (SQLException e) {
                failure = e;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat((Throwable) failure).isNotNull();
            assertThat(failure.getSQLState()).as("cancelled by the server, not a dead socket").isEqualTo("57014");
            // JDBC's query timeout counts whole seconds: 150 ms used to become 1 s.
            assertThat(took).isLessThan(Duration.ofMillis(900));
            assertThat(StaleConnectionPostgresTest.selectOne(ds)).isEqualTo(1);
            assertThat(ds.stats().created()).as("the connection was kept").isEqualTo(createdBefore);
        }
    }

    @Test
    void timedOutQueriesCancelTheirStatementInsteadOfDestroyingPooledConnections() throws Exception {
        int queries = 100;
        try (StrataDataSource ds = dataSource("attempt-timeout", 2)) {
            StaleConnectionPostgresTest.selectOne(ds);
            long createdBefore = ds.stats().created();
            Pipeline pipeline = Pipeline.builder("attempt-timeout").retry(Retry.builder().maxAttempts(1).build())
                    .timeout(Duration.ofMillis(50)).build();
            int timedOut = 0;
            for (int i = 0; i < queries; i++) {
                try {
                    pipeline.execute(() -> {
                        try (Connection connection = ds.getConnection(); Statement statement = connection.createStatement()) {
                            statement.execute("SELECT pg_sleep(2)");
                        }
                        return null;
                    });
                } catch (StrataException expected) {
                    assertThat(expected.kind()).isEqualTo(FaultKind.ATTEMPT_TIMEOUT);
                    timedOut++;
                }
            }
            Await.until(Duration.ofSeconds(10), () -> ds.stats().active() == 0);
            long opened = ds.stats().created() - createdBefore;
            System.out.println("attempt timeouts: " + timedOut + " of " + queries + " queries timed out; connections opened meanwhile: "
                    + opened + "; " + ds.stats());
            assertThat(timedOut).isEqualTo(queries);
            // Interrupting the attempt closed the socket: one new connection per timed-out query
            // (97 of 100 before). Now the statement is cancelled; only when a cancel takes longer
            // than its grace (a machine at load 20) is the thread interrupted after all.
            assertThat(opened).isLessThanOrEqualTo(5);
            assertThat(ds.stats().evicted()).isLessThanOrEqualTo(3);
        }
    }
}
