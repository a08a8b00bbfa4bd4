package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Runs every L3 benchmark method once, so a benchmark that breaks (or silently measures the
 * wrong path) fails the build instead of rotting until someone runs JMH.
 */
class L3BenchmarkSmokeTest {

    @Test
    void circuitBreakerSuccessPathReturnsTheCallsResult() throws Exception {
        CircuitBreakerBenchmark b = new CircuitBreakerBenchmark();
        b.setUp();
        for (Method m : benchmarkMethods(CircuitBreakerBenchmark.class)) {
            assertThat(m.invoke(b)).as(m.getName()).isEqualTo(CircuitBreakerBenchmark.RESULT);
        }
    }

    @Test
    void openBreakerRejectsEveryLibrarysCall() throws Exception {
        OpenBreakerBenchmark b = new OpenBreakerBenchmark();
        b.setUp();
        assertThat(b.strata()).isInstanceOf(dev.strata.resilience.CallNotPermittedException.class);
        assertThat(b.resilience4j()).isInstanceOf(io.github.resilience4j.circuitbreaker.CallNotPermittedException.class);
        assertThat(b.failsafe()).isInstanceOf(dev.failsafe.CircuitBreakerOpenException.class);
        assertThat(b.strataPermissionOnly()).isFalse();
        assertThat(b.resilience4jPermissionOnly()).isFalse();
        assertThat(b.failsafePermissionOnly()).isFalse();
        assertThat(benchmarkMethods(OpenBreakerBenchmark.class)).hasSize(6);
    }

    @Test
    void bulkheadSuccessPathReturnsTheCallsResultAndFreesTheSlot() throws Exception {
        BulkheadBenchmark b = new BulkheadBenchmark();
        b.setUp();
        for (Method m : benchmarkMethods(BulkheadBenchmark.class)) {
            assertThat(m.invoke(b)).as(m.getName()).isEqualTo(CircuitBreakerBenchmark.RESULT);
        }
        assertThat(b.strata.available()).isEqualTo(25);
        assertThat(b.resilience4j.getMetrics().getAvailableConcurrentCalls()).isEqualTo(25);
    }

    @Test
    void retryPipelineAndTimeoutSuccessPathsReturnTheCallsResult() throws Exception {
        RetryBenchmark retry = new RetryBenchmark();
        retry.setUp();
        PipelineBenchmark pipeline = new PipelineBenchmark();
        pipeline.setUp();
        TimeoutBenchmark timeout = new TimeoutBenchmark();
        timeout.setUp();
        for (Object b : List.of(retry, pipeline, timeout)) {
            List<Method> methods = benchmarkMethods(b.getClass());
            assertThat(methods).as(b.getClass().getSimpleName()).hasSize(3);
            for (Method m : methods) {
                assertThat(m.invoke(b)).as(b.getClass().getSimpleName() + "." + m.getName())
                        .isEqualTo(CircuitBreakerBenchmark.RESULT);
            }
        }
    }

    @Test
    void baselinesRun() throws Exception {
        BaselineBenchmark b = new BaselineBenchmark();
        assertThat(b.directCall()).isEqualTo(CircuitBreakerBenchmark.RESULT);
        long before = System.nanoTime();
        assertThat(b.systemNanoTime()).isGreaterThanOrEqualTo(before);
        assertThat(b.sharedCounterTakeAndGiveBack()).isEqualTo(1);
        assertThat(b.keyedStateLookup()).isNotNull();
        assertThat(b.keyedStateLookupAndMonitor()).isEqualTo(1);
        assertThat(b.keyedStateLookupAndMonitor()).as("the count lives in the looked-up state").isEqualTo(2);
    }

    static List<Method> benchmarkMethods(Class<?> type) {
        return Arrays.stream(type.getMethods()).filter(m -> m.isAnnotationPresent(Benchmark.class)).toList();
    }
}
