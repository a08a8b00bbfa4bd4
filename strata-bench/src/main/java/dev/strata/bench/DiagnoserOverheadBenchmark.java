package dev.strata.bench;

import dev.strata.diagnosis.Diagnoser;
import dev.strata.diagnosis.DiagnosisSource;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The success paths of L3 benchmarks (a), (b) and (c), configured as in
 * {@link CircuitBreakerBenchmark}, {@link RetryBenchmark} and {@link PipelineBenchmark}, with and
 * without a runtime {@link Diagnoser} subscribed to the bus their components publish to (and
 * polling, on its own thread, the breakers it was given). Issue 10 asks that the diagnoser add
 * nothing to the success path: {@code diagnosed=true} should match {@code false} within noise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DiagnoserOverheadBenchmark {

    @Param({"false", "true"})
    public boolean diagnosed;

    CircuitBreaker breaker;
    Pipeline retry;
    Pipeline pipeline;
    Diagnoser diagnoser;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        EventBus bus = EventBus.detached();
        breaker = CircuitBreaker.builder("bench-a").mode(CircuitBreaker.Mode.COUNT_WINDOW).windowSize(100)
                .minimumCalls(10).failureRateThreshold(0.5).openWait(Duration.ofSeconds(30)).events(bus).build();
        retry = Pipeline.builder("bench-b").events(bus).retry(Retry.builder().maxAttempts(3).build()).build();
        CircuitBreaker pipelineBreaker = CircuitBreaker.builder("bench-c").windowSize(100).minimumCalls(10)
                .failureRateThreshold(0.5).openWait(Duration.ofSeconds(30)).events(bus).build();
        pipeline = Pipeline.builder("bench-c").events(bus)
                .bulkhead(Bulkhead.builder("bench-c").maxConcurrentCalls(25).events(bus).build())
                .circuitBreaker(pipelineBreaker)
                .retry(Retry.builder().maxAttempts(3).build())
                .build();
        if (diagnosed) {
            diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).breaker(breaker).breaker(pipelineBreaker).build())
                    .start();
        }
    }

    @TearDown
    public void tearDown() {
        if (diagnoser != null) {
            diagnoser.close();
        }
    }

    @Benchmark
    public String breakerAlone() throws Exception {
        return breaker.execute(callable);
    }

    @Benchmark
    public String retryAlone() {
        return retry.execute(callable);
    }

    @Benchmark
    public String bulkheadBreakerRetry() {
        return pipeline.execute(callable);
    }
}
