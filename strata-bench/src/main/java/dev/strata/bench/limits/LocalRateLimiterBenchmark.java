package dev.strata.bench.limits;

import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One rate-limit decision on one shared limiter (one key) that always admits, beside the anchors
 * Guava {@code RateLimiter.tryAcquire}, Resilience4j {@code AtomicRateLimiter.acquirePermission}
 * and Bucket4j's local {@code tryConsume}. Run with {@code -t 1} and {@code -t 8}: all threads
 * share the limiter, as all request threads of a service share one dependency's limiter.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LocalRateLimiterBenchmark {

    /** A rate no benchmark reaches: every decision admits. */
    static final long PER_SECOND = 1_000_000_000L;

    LocalRateLimiter gcra;
    LocalRateLimiter fixedWindow;
    LocalRateLimiter tokenBucket;
    LocalRateLimiter slidingWindowCounter;
    com.google.common.util.concurrent.RateLimiter guava;
    AtomicRateLimiter resilience4j;
    Bucket bucket4j;

    @State(Scope.Thread)
    public static class Holder {
        final RateLimitDecision decision = new RateLimitDecision();
    }

    @Setup
    public void setUp() {
        gcra = strata(RateLimitAlgorithm.GCRA);
        fixedWindow = strata(RateLimitAlgorithm.FIXED_WINDOW);
        tokenBucket = strata(RateLimitAlgorithm.TOKEN_BUCKET);
        slidingWindowCounter = strata(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER);
        guava = com.google.common.util.concurrent.RateLimiter.create(PER_SECOND);
        resilience4j = new AtomicRateLimiter("bench", RateLimiterConfig.custom()
                .limitForPeriod(Integer.MAX_VALUE).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
        bucket4j = Bucket.builder().addLimit(Bandwidth.builder().capacity(PER_SECOND)
                .refillGreedy(PER_SECOND, Duration.ofSeconds(1)).build()).build();
    }

    private static LocalRateLimiter strata(RateLimitAlgorithm algorithm) {
        // 2^31-1 per 100 ms for the windows; the buckets' interval rounds to 1 ns, 10^9 per second
        return LocalRateLimiter.builder("bench").algorithm(algorithm)
                .limit(Integer.MAX_VALUE, Duration.ofMillis(100)).build();
    }

    @Benchmark
    public boolean strataGcra() {
        return gcra.tryAcquire("k");
    }

    @Benchmark
    public boolean strataGcraWithDecision(Holder h) {
        return gcra.tryAcquire("k", 1, h.decision);
    }

    @Benchmark
    public boolean strataFixedWindow() {
        return fixedWindow.tryAcquire("k");
    }

    @Benchmark
    public boolean strataTokenBucket() {
        return tokenBucket.tryAcquire("k");
    }

    @Benchmark
    public boolean strataSlidingWindowCounter() {
        return slidingWindowCounter.tryAcquire("k");
    }

    @Benchmark
    public boolean guava() {
        return guava.tryAcquire();
    }

    @Benchmark
    public boolean resilience4j() {
        return resilience4j.acquirePermission();
    }

    @Benchmark
    public boolean bucket4j() {
        return bucket4j.tryConsume(1);
    }
}
