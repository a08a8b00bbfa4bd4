package dev.strata.bench.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs each pool benchmark method once per pool so the benchmarks cannot rot unnoticed. */
class PoolBenchmarkSmokeTest {

    @ParameterizedTest
    @ValueSource(strings = {"strata", "hikari"})
    void cycleBorrowsAndReturns(String pool) throws Exception {
        PoolBenchmark benchmark = new PoolBenchmark();
        benchmark.pool = pool;
        benchmark.open();
        try {
            for (Connection connection : new Connection[] {
                    benchmark.threads01(), benchmark.threads02(), benchmark.threads08(), benchmark.threads32()}) {
                assertThat(connection.isClosed()).isTrue();
            }
        } finally {
            benchmark.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"strata", "hikari"})
    void starvedPoolFails(String pool) throws Exception {
        StarvedPoolBenchmark benchmark = new StarvedPoolBenchmark();
        benchmark.pool = pool;
        benchmark.open();
        try {
            assertThat((Throwable) benchmark.timeToFail()).isNotNull();
        } finally {
            benchmark.close();
        }
    }
}
