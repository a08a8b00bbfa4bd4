package dev.strata.bench;

import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.resilience.CallNotPermittedException;
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
 * (d) Rejection by an open breaker: what a caller pays when the dependency is known to be down.
 * Two forms: the execute form that throws the library's "not permitted" exception, and the
 * permission check alone (what a pipeline asks before each attempt).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OpenBreakerBenchmark {

    dev.strata.resilience.CircuitBreaker strata;
    io.github.resilience4j.circuitbreaker.CircuitBreaker resilience4j;
    dev.failsafe.CircuitBreaker<String> failsafeBreaker;
    FailsafeExecutor<String> failsafe;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        // Each breaker is opened the ordinary way (not forced), with an hour before half-open.
        strata = dev.strata.resilience.CircuitBreaker.builder("bench").windowSize(100).minimumCalls(10)
                .openWait(Duration.ofHours(1)).build();
        for (int i = 0; i < 10; i++) {
            strata.tryAcquirePermission();
            strata.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
        }
        resilience4j = io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
                .slidingWindowSize(100).minimumNumberOfCalls(10).waitDurationInOpenState(Duration.ofHours(1)).build());
        for (int i = 0; i < 10; i++) {
            resilience4j.tryAcquirePermission();
            resilience4j.onError(1_000L, TimeUnit.NANOSECONDS, new java.io.IOException("reset"));
        }
        failsafeBreaker = dev.failsafe.CircuitBreaker.<String>builder().withFailureThreshold(50, 100)
                .withDelay(Duration.ofHours(1)).build();
        failsafeBreaker.open();
        failsafe = Failsafe.with(failsafeBreaker);
        if (strata.state() != dev.strata.resilience.CircuitBreaker.State.OPEN
                || resilience4j.getState() != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN
                || !failsafeBreaker.isOpen()) {
            throw new IllegalStateException("every breaker must be open before measuring rejections");
        }
    }

    @Benchmark
    public Object strata() {
        try {
            return strata.execute(callable);
        } catch (CallNotPermittedException expected) {
            return expected;
        } catch (Exception unexpected) {
            throw new IllegalStateException(unexpected);
        }
    }

    @Benchmark
    public Object resilience4j() {
        try {
            return resilience4j.executeSupplier(supplier);
        } catch (io.github.resilience4j.circuitbreaker.CallNotPermittedException expected) {
            return expected;
        }
    }

    @Benchmark
    public Object failsafe() {
        try {
            return failsafe.get(checkedSupplier);
        } catch (CircuitBreakerOpenException expected) {
            return expected;
        }
    }

    @Benchmark
    public boolean strataPermissionOnly() {
        return strata.tryAcquirePermission();
    }

    @Benchmark
    public boolean resilience4jPermissionOnly() {
        return resilience4j.tryAcquirePermission();
    }

    @Benchmark
    public boolean failsafePermissionOnly() {
        return failsafeBreaker.tryAcquirePermit();
    }
}
