package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs every benchmark method outside JMH so the benchmark cannot rot unnoticed. */
class FaultInjectionBenchmarkSmokeTest {

    @Test
    void everyBenchmarkMethodReachesTheRealCall() throws Exception {
        FaultInjectionBenchmark benchmark = new FaultInjectionBenchmark();
        for (int i = 0; i < 1_000; i++) {
            // the real call returns System.nanoTime(); a replaced result would be -1
            assertThat(benchmark.direct()).isNotEqualTo(-1L);
            assertThat(benchmark.intercepted()).isNotEqualTo(-1L);
            assertThat(benchmark.interceptedTwoDependencies()).isNotEqualTo(-1L);
            assertThat(benchmark.interceptedTwoThreadsOneDependency()).isNotEqualTo(-1L);
        }
        assertThat(benchmark.calls).isEqualTo(1_000);
    }
}
