package dev.strata.bench.pool;

import com.zaxxer.hikari.HikariDataSource;
import dev.strata.observe.EventBus;
import dev.strata.jdbc.StrataDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time for {@code getConnection()} to fail on a starved pool (its only connection held by the
 * setup) against the configured acquisition timeout of 250 ms (HikariCP's smallest allowed
 * {@code connectionTimeout}). The target is the configured timeout within 10%.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class StarvedPoolBenchmark {

    static final Duration ACQUISITION_TIMEOUT = Duration.ofMillis(250);

    @Param({"strata", "hikari"})
    public String pool;

    DataSource dataSource;
    private AutoCloseable closer;
    private Connection held;

    @Setup(Level.Trial)
    public void open() throws Exception {
        NoopDriver.register();
        if (pool.equals("strata")) {
            StrataDataSource strata = StrataDataSource.builder("starved", NoopDriver.URL)
                    .pool(p -> p.maxSize(1).acquisitionTimeout(ACQUISITION_TIMEOUT).events(EventBus.detached()))
                    .build();
            dataSource = strata;
            closer = strata;
        } else {
            HikariDataSource hikari = new HikariDataSource(PoolBenchmark.hikariConfig(1, ACQUISITION_TIMEOUT));
            dataSource = hikari;
            closer = hikari;
        }
        held = dataSource.getConnection();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        held.close();
        closer.close();
    }

    /** Returns the failure so JMH consumes it; a success would mean the pool was not starved. */
    @Benchmark
    public SQLException timeToFail() throws SQLException {
        return failedAcquisition(dataSource);
    }

    static SQLException failedAcquisition(DataSource dataSource) throws SQLException {
        try (Connection unexpected = dataSource.getConnection()) {
            throw new IllegalStateException("the starved pool lent " + unexpected);
        } catch (SQLTransientConnectionException expected) {
            return expected;
        }
    }
}
