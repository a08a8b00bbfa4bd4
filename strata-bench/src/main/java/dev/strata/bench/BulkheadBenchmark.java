package dev.strata.bench;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.github.resilience4j.bulkhead.BulkheadConfig;
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

/** A semaphore bulkhead alone around a call that succeeds: 25 slots, no waiting. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BulkheadBenchmark {

    dev.strata.resilience.Bulkhead strata;
    io.github.resilience4j.bulkhead.Bulkhead resilience4j;
    FailsafeExecutor<String> failsafe;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        strata = dev.strata.resilience.Bulkhead.builder("bench").maxConcurrentCalls(25).build();
        resilience4j = io.github.resilience4j.bulkhead.Bulkhead.of("bench", BulkheadConfig.custom()
                .maxConcurrentCalls(25).maxWaitDuration(Duration.ZERO).build());
        failsafe = Failsafe.with(dev.failsafe.Bulkhead.<String>builder(25).build());
    }

    @Benchmark
    public String strata() throws Exception {
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
