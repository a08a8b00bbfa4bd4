package dev.strata.bench;

import dev.strata.micrometer.StrataMetrics;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of metrics on the success path: a breaker and a retry nested the same way in each
 * library, with and without a Micrometer registry bound. Strata binds through
 * {@code strata-micrometer} ({@link StrataMetrics}); Resilience4j through
 * {@code resilience4j-micrometer}'s tagged metrics, the binding Spring Boot applications use. Both
 * registries are {@link SimpleMeterRegistry}s, so the difference is the bindings', not the
 * backend's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MeteredPipelineBenchmark {

    Pipeline strataUnbound;
    Pipeline strataBound;
    StrataMetrics strataMetrics;
    Supplier<String> r4jUnbound;
    Supplier<String> r4jBound;
    io.micrometer.core.instrument.Timer timerAlone;
    io.micrometer.core.instrument.Counter counterAlone;

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final Supplier<String> supplier = () -> CircuitBreakerBenchmark.RESULT;

    @Setup
    public void setUp() {
        strataUnbound = strata("unbound");
        strataBound = strata("bound");
        strataMetrics = new StrataMetrics(new SimpleMeterRegistry()).bind(strataBound);
        r4jUnbound = r4j(CircuitBreakerRegistry.ofDefaults(), RetryRegistry.ofDefaults(), "unbound");
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        RetryRegistry retries = RetryRegistry.ofDefaults();
        SimpleMeterRegistry r4jMeters = new SimpleMeterRegistry();
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(r4jMeters);
        TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(r4jMeters);
        r4jBound = r4j(breakers, retries, "bound");
        SimpleMeterRegistry alone = new SimpleMeterRegistry();
        timerAlone = alone.timer("alone");
        counterAlone = alone.counter("alone.attempts");
    }

    @TearDown
    public void tearDown() {
        strataMetrics.close();
    }

    private static Pipeline strata(String name) {
        return Pipeline.builder(name)
                .circuitBreaker(CircuitBreaker.builder(name).windowSize(100).minimumCalls(10)
                        .failureRateThreshold(0.5).openWait(Duration.ofSeconds(30)).events(EventBus.detached()).build())
                .retry(Retry.builder().maxAttempts(3).build())
                .events(EventBus.detached())
                .build();
    }

    private Supplier<String> r4j(CircuitBreakerRegistry breakers, RetryRegistry retries, String name) {
        io.github.resilience4j.circuitbreaker.CircuitBreaker breaker = breakers.circuitBreaker(name, CircuitBreakerConfig.custom()
                .slidingWindowSize(100).minimumNumberOfCalls(10).failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30)).build());
        io.github.resilience4j.retry.Retry retry = retries.retry(name, RetryConfig.custom().maxAttempts(3)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(100), 2.0)).build());
        return io.github.resilience4j.circuitbreaker.CircuitBreaker.decorateSupplier(breaker,
                io.github.resilience4j.retry.Retry.decorateSupplier(retry, supplier));
    }

    @Benchmark
    public String strataNoRegistry() {
        return strataUnbound.execute(callable);
    }

    @Benchmark
    public String strataMicrometer() {
        return strataBound.execute(callable);
    }

    @Benchmark
    public String resilience4jNoRegistry() {
        return r4jUnbound.get();
    }

    @Benchmark
    public String resilience4jMicrometer() {
        return r4jBound.get();
    }

    /**
     * What the binding records per successful call, without Strata around it: one timer update
     * and one counter increment on a {@link SimpleMeterRegistry}. With two clock reads (see
     * {@link BaselineBenchmark#systemNanoTime}) this is the floor of {@link #strataMicrometer}'s
     * extra cost over {@link #strataNoRegistry}.
     */
    @Benchmark
    public double micrometerRecordAlone() {
        timerAlone.record(42L, TimeUnit.NANOSECONDS);
        counterAlone.increment();
        return 0.0;
    }
}
