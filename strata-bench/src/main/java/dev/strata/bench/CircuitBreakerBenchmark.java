package dev.strata.bench;

import dev.strata.resilience.internal.BreakerPermits;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
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
 * (a) A circuit breaker alone around a call that succeeds: permission, the call, recording the
 * outcome with its duration. Each library is configured alike: a count window of the last 100
 * calls, at least 10 calls, opening at a 50% failure rate, no event consumers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CircuitBreakerBenchmark {

    static final String RESULT = "ok";

    dev.strata.resilience.CircuitBreaker strata;
    io.github.resilience4j.circuitbreaker.CircuitBreaker resilience4j;
    FailsafeExecutor<String> failsafe;

    /** Created once: a per-call lambda would measure the benchmark's allocation, not the library's. */
    final Callable<String> callable = () -> RESULT;
    final Supplier<String> supplier = () -> RESULT;
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> RESULT;

    @Setup
    public void setUp() {
        strata = dev.strata.resilience.CircuitBreaker.builder("bench")
                .mode(dev.strata.resilience.CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(100).minimumCalls(10).failureRateThreshold(0.5)
                .openWait(Duration.ofSeconds(30))
                .build();
        resilience4j = io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(100).minimumNumberOfCalls(10).failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .build());
        failsafe = Failsafe.with(dev.failsafe.CircuitBreaker.<String>builder()
                .withFailureThreshold(50, 100)
                .withDelay(Duration.ofSeconds(30))
                .build());
    }

    @Benchmark
    public String strata() throws Exception {
        return strata.execute(callable);
    }

    /** The same work through the permission/outcome API a pipeline uses. */
    @Benchmark
    public String strataPermissionApi() {
        if (!strata.tryAcquirePermission()) {
            throw new IllegalStateException("breaker refused a call on the success path");
        }
        boolean timed = BreakerPermits.measuresDuration(strata); // false here: no slow-call duration configured
        long start = timed ? System.nanoTime() : 0L;
        String result = RESULT;
        strata.onSuccess(timed ? System.nanoTime() - start : 0L);
        return result;
    }

    /**
     * The permit protocol a pipeline uses (the outcome is attributed to the period that admitted
     * the call), reached here through the internal hand-off, since it is not public API.
     */
    @Benchmark
    public String strataPermitApi() {
        long permit = BreakerPermits.acquire(strata);
        if (permit == BreakerPermits.NOT_PERMITTED) {
            throw new IllegalStateException("breaker refused a call on the success path");
        }
        boolean timed = BreakerPermits.measuresDuration(strata); // false here: no slow-call duration configured
        long start = timed ? System.nanoTime() : 0L;
        String result = RESULT;
        BreakerPermits.succeeded(strata, permit, timed ? System.nanoTime() - start : 0L);
        return result;
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
