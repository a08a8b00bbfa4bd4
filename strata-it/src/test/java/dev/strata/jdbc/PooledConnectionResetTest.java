package dev.strata.jdbc;

import dev.strata.testsupport.TestPostgres;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 13: closing a connection with an open transaction rolls it back; on a
 * black-holed peer that rollback had no network timeout and hung close() for good, and a failed
 * reset was swallowed without a word.
 */
class PooledConnectionResetTest {

    private static final TestPostgres PG = TestPostgres.shared();

    @Test
    void closingATransactionOnABlackHoledPeerReturnsWithinTheValidationTimeoutAndSaysSo() throws Exception {
        EventBus events = EventBus.detached();
        List<StrataEvent> seen = new CopyOnWriteArrayList<>();
        events.subscribe(seen::add);
        try (ChaosProxy proxy = ChaosProxy.start("pg-reset", new InetSocketAddress("127.0.0.1", PG.port()));
                StrataDataSource ds = StrataDataSource.builder("reset", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres")
                        .user("postgres").password("postgres")
                        .pool(p -> p.maxSize(1).validationTimeout(Duration.ofMillis(300)).keepaliveInterval(Duration.ZERO)
                                .events(events))
                        .build()) {
            Connection connection = ds.getConnection();
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT 1");
            }
            proxy.addToxic(Toxic.timeout(Direction.UPSTREAM, 0)); // the peer goes silent mid-transaction

            AtomicReference<Throwable> closeFailure = new AtomicReference<>();
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    connection.close();
                } catch (Throwable failure) {
                    closeFailure.set(failure);
                }
            });
            assertThat(closer.join(Duration.ofSeconds(10))).as("close() is bounded, not hung on the rollback").isTrue();
            assertThat(ds.stats().evicted()).as("the connection that could not be reset is closed, not reused").isEqualTo(1);
            assertThat(ds.stats().active()).isZero();
            assertThat(seen).anySatisfy(event -> assertThat(event.type()).isEqualTo("pool.reset-failed"));
        }
    }
}
