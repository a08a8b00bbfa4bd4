package dev.strata.bench;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * (b) A retry alone around a call that succeeds at once: 3 attempts, exponential backoff from
 * 100 ms (never reached on this path). What every successful call pays for being retryable.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RetryBenchmark {

    Pipeline strata;
    io.github.resilience4j.retry.Retry resilience4j;
    FailsafeExecutor<String> failsafe;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        strata = Pipeline.builder("bench").retry(Retry.builder().maxAttempts(3).build()).build();
        resilience4j = io.github.resilience4j.retry.Retry.of("bench", RetryConfig.custom().maxAttempts(3)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(100), 2.0)).build());
        failsafe = Failsafe.with(RetryPolicy.<String>builder().withMaxAttempts(3)
                .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(10)).build());
    }

    @Benchmark
    public String strata() {
        return strata.execute(callable);
    }

    @Benchmark
    public String resilience4j() {
        return resilience4j.executeSupplier(supplier);
    }

    @Benchmark
    public String failsafe() {
        return failsafe.get(checkedSupplier);
    }
}
