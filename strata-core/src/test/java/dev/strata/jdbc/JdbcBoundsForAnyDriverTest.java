package dev.strata.jdbc;

import dev.strata.pool.EvictionReason;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.EventBus;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 7: drivers other than pgjdbc got no connect bound at all (creation runs on the
 * borrower's thread), and {@code isValid} counts whole seconds, so a 50 ms validation timeout
 * became 1 s. A driver that hangs where told to shows both.
 */
class JdbcBoundsForAnyDriverTest {

    /** A driver for {@code jdbc:strata-test:hang-connect} and {@code jdbc:strata-test:hang-isvalid}. */
    static final class HangingDriver implements Driver {
        final AtomicInteger connects = new AtomicInteger();
        final CountDownLatch connectInterrupted = new CountDownLatch(1);
        final AtomicBoolean aborted = new AtomicBoolean();
        volatile int isValidSeconds = -1;

        @Override
        public Connection connect(String url, Properties info) throws SQLException {
            if (!acceptsURL(url)) {
                return null;
            }
            if (connects.incrementAndGet() > 0 && url.endsWith("hang-connect")) {
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException interrupted) {
                    connectInterrupted.countDown();
                    throw new SQLException("connect interrupted", "08001", interrupted);
                }
            }
            return connection(url.endsWith("hang-isvalid"));
        }

        private Connection connection(boolean hangInIsValid) {
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "isValid" -> {
                            isValidSeconds = (Integer) args[0];
                            if (hangInIsValid) {
                                try {
                                    Thread.sleep(isValidSeconds * 1000L);
                                } catch (InterruptedException ignored) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                            yield !aborted.get();
                        }
                        case "abort" -> {
                            aborted.set(true);
                            yield null;
                        }
                        case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
                        case "isReadOnly", "isClosed" -> false;
                        case "getNetworkTimeout" -> 0;
                        case "getAutoCommit" -> true;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "hanging-connection";
                        default -> null;
                    });
        }

        @Override
        public boolean acceptsURL(String url) {
            return url.startsWith("jdbc:strata-test:");
        }

        @Override
        public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
            return new DriverPropertyInfo[0];
        }

        @Override
        public int getMajorVersion() {
            return 1;
        }

        @Override
        public int getMinorVersion() {
            return 0;
        }

        @Override
        public boolean jdbcCompliant() {
            return false;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getLogger("strata-test");
        }
    }

    private final HangingDriver driver = new HangingDriver();

    @BeforeEach
    void register() throws SQLException {
        DriverManager.registerDriver(driver);
    }

    @AfterEach
    void deregister() throws SQLException {
        DriverManager.deregisterDriver(driver);
    }

    @Test
    void creationOnAnyDriverIsBoundedByTheBorrowersAcquisitionTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        try (StrataDataSource ds = StrataDataSource.builder("hang-connect", "jdbc:strata-test:hang-connect")
                .pool(p -> p.maxSize(1).acquisitionTimeout(timeout).events(EventBus.detached())).build()) {
            long start = System.nanoTime();
            SQLException failure = null;
            try {
                ds.getConnection().close();
            } catch (SQLException e) {
                failure = e;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat((Throwable) failure).isInstanceOf(SQLTransientConnectionException.class);
            assertThat((Throwable) failure).hasMessageContaining("could not connect");
            assertThat(took).as("bounded by the 300 ms acquisition timeout, not the driver's 30 s hang").isLessThan(Duration.ofSeconds(3));
            assertThat(driver.connectInterrupted.await(5, TimeUnit.SECONDS)).as("the abandoned connect is stopped, not leaked").isTrue();
            assertThat(ds.stats().total()).isZero();
        }
    }

    @Test
    void aFiftyMillisecondValidationTimeoutIsNotRoundedUpToOneSecond() throws Exception {
        try (StrataDataSource ds = StrataDataSource.builder("hang-isvalid", "jdbc:strata-test:hang-isvalid")
                .pool(p -> p.maxSize(1).validateIdleLongerThan(Duration.ZERO).validationTimeout(Duration.ofMillis(50))
                        .keepaliveInterval(Duration.ZERO).events(EventBus.detached())).build()) {
            ds.getConnection().close();
            Thread.sleep(5); // idle past the (zero) bypass window: the next borrow validates
            long start = System.nanoTime();
            ds.getConnection().close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(driver.isValidSeconds).isEqualTo(1); // what JDBC can express
            assertThat(took).as("the validation gave up after 50 ms, not isValid's whole second").isLessThan(Duration.ofMillis(800));
            assertThat(driver.aborted).as("the unanswered connection is aborted").isTrue();
            assertThat(ds.stats().closed(EvictionReason.STALE)).isEqualTo(1);
        }
    }
}
