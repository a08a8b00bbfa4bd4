package dev.strata.bench;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.RetryPolicy;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
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
 * (c) Bulkhead, circuit breaker and retry together on the success path, nested the same way in
 * each library: bulkhead outermost, then the breaker (one outcome per logical call), then the
 * retry. Configured as in {@link CircuitBreakerBenchmark}, {@link RetryBenchmark} and
 * {@link BulkheadBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PipelineBenchmark {

    Pipeline strata;
    Supplier<String> resilience4j;
    FailsafeExecutor<String> failsafe;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;
    final dev.failsafe.function.CheckedSupplier<String> checkedSupplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        strata = Pipeline.builder("bench")
                .bulkhead(Bulkhead.builder("bench").maxConcurrentCalls(25).build())
                .circuitBreaker(CircuitBreaker.builder("bench").windowSize(100).minimumCalls(10)
                        .failureRateThreshold(0.5).openWait(Duration.ofSeconds(30)).build())
                .retry(Retry.builder().maxAttempts(3).build())
                .build();

        io.github.resilience4j.bulkhead.Bulkhead r4jBulkhead = io.github.resilience4j.bulkhead.Bulkhead.of("bench",
                BulkheadConfig.custom().maxConcurrentCalls(25).maxWaitDuration(Duration.ZERO).build());
        io.github.resilience4j.circuitbreaker.CircuitBreaker r4jBreaker = io.github.resilience4j.circuitbreaker.CircuitBreaker
                .of("bench", CircuitBreakerConfig.custom().slidingWindowSize(100).minimumNumberOfCalls(10)
                        .failureRateThreshold(50).waitDurationInOpenState(Duration.ofSeconds(30)).build());
        io.github.resilience4j.retry.Retry r4jRetry = io.github.resilience4j.retry.Retry.of("bench", RetryConfig.custom()
                .maxAttempts(3).intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(100), 2.0)).build());
        // Decorated once, as an application would: bulkhead(breaker(retry(call)))
        resilience4j = io.github.resilience4j.bulkhead.Bulkhead.decorateSupplier(r4jBulkhead,
                io.github.resilience4j.circuitbreaker.CircuitBreaker.decorateSupplier(r4jBreaker,
                        io.github.resilience4j.retry.Retry.decorateSupplier(r4jRetry, supplier)));

        // Failsafe nests in the order given: the first policy is the outermost.
        failsafe = Failsafe.with(
                dev.failsafe.Bulkhead.<String>builder(25).build(),
                dev.failsafe.CircuitBreaker.<String>builder().withFailureThreshold(50, 100)
                        .withDelay(Duration.ofSeconds(30)).build(),
                RetryPolicy.<String>builder().withMaxAttempts(3)
                        .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(10)).build());
    }

    @Benchmark
    public String strata() {
        return strata.execute(callable);
    }

    @Benchmark
    public String resilience4j() {
        return resilience4j.get();
    }

    @Benchmark
    public String failsafe() {
        return failsafe.get(checkedSupplier);
    }
}
