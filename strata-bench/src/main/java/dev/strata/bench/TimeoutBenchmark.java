package dev.strata.bench;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.strata.resilience.Timeout;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 * (e) A 1 s timeout around a call that returns at once. Each library in its own sync idiom:
 * Strata runs the attempt on a virtual thread so the caller can be released at the bound;
 * Resilience4j's TimeLimiter waits on a future run on the common pool; Failsafe's Timeout
 * schedules a timer beside the call on the caller's thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimeoutBenchmark {

    Timeout strata;
    TimeLimiter resilience4j;
    FailsafeExecutor<String> failsafe;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<CompletableFuture<String>> futureSupplier = () -> CompletableFuture.supplyAsync(supplier);
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        strata = Timeout.of(Duration.ofSeconds(1));
        resilience4j = TimeLimiter.of("bench", TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(1)).build());
        failsafe = Failsafe.with(dev.failsafe.Timeout.<String>of(Duration.ofSeconds(1)));
    }

    @Benchmark
    public String strata() throws Exception {
        return strata.call(callable);
    }

    @Benchmark
    public String resilience4j() throws Exception {
        return resilience4j.executeFutureSupplier(futureSupplier);
    }

    @Benchmark
    public String failsafe() {
        return failsafe.get(checkedSupplier);
    }
}
