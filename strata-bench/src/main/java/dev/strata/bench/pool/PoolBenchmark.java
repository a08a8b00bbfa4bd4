package dev.strata.bench.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.strata.observe.EventBus;
import dev.strata.jdbc.StrataDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code getConnection()} + {@code close()} throughput of StrataDataSource against HikariCP, both
 * pools of 16 over a driver that does nothing, at 1, 2, 8, 32 and 64 threads. Same JVM run, same
 * settings where they have one: no leak detection, 1 s acquisition timeout, pool kept full.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class PoolBenchmark {

    static final int POOL_SIZE = 16;

    @Param({"strata", "hikari"})
    public String pool;

    DataSource dataSource;
    private AutoCloseable closer;

    @Setup(Level.Trial)
    public void open() throws Exception {
        NoopDriver.register();
        if (pool.equals("strata")) {
            StrataDataSource strata = StrataDataSource.builder("bench", NoopDriver.URL)
                    .pool(p -> p.maxSize(POOL_SIZE).minIdle(POOL_SIZE).acquisitionTimeout(Duration.ofSeconds(1))
                            .events(EventBus.detached()))
                    .build();
            strata.pool().awaitWarm(Duration.ofSeconds(10));
            dataSource = strata;
            closer = strata;
        } else {
            HikariDataSource hikari = new HikariDataSource(hikariConfig(POOL_SIZE, Duration.ofSeconds(1)));
            dataSource = hikari;
            closer = hikari;
        }
    }

    static HikariConfig hikariConfig(int size, Duration connectionTimeout) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench-hikari");
        config.setDriverClassName(NoopDriver.class.getName());
        config.setJdbcUrl(NoopDriver.URL);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        return config;
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        closer.close();
    }

    /** One borrow and return; the connection is returned to the caller only so JMH consumes it. */
    static Connection cycle(DataSource dataSource) throws SQLException {
        Connection connection = dataSource.getConnection();
        connection.close();
        return connection;
    }

    @Benchmark
    @Threads(1)
    public Connection threads01() throws SQLException {
        return cycle(dataSource);
    }

    @Benchmark
    @Threads(2)
    public Connection threads02() throws SQLException {
        return cycle(dataSource);
    }

    @Benchmark
    @Threads(8)
    public Connection threads08() throws SQLException {
        return cycle(dataSource);
    }

    @Benchmark
    @Threads(32)
    public Connection threads32() throws SQLException {
        return cycle(dataSource);
    }

    @Benchmark
    @Threads(64)
    public Connection threads64() throws SQLException {
        return cycle(dataSource);
    }
}
