package dev.strata.bench.limits;

import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Memory per key, measured as the retained heap after a full GC: 100,000 distinct keys, each used
 * once, in a Strata {@link LocalRateLimiter} (per algorithm) and, as the anchors, one Bucket4j
 * bucket / Guava limiter / Resilience4j limiter per key in a {@link ConcurrentHashMap}. Both sides
 * include the key strings and the map. Run:
 * {@code java -cp strata-bench/target/benchmarks.jar dev.strata.bench.limits.RateLimiterMemory}.
 */
public final class RateLimiterMemory {

    static final int KEYS = 100_000;

    private RateLimiterMemory() {
    }

    public static void main(String[] args) {
        List<String> rows = new ArrayList<>();
        for (int round = 0; round < 2; round++) { // the first round warms up class loading and the JIT
            rows.clear();
            for (RateLimitAlgorithm a : new RateLimitAlgorithm[] {RateLimitAlgorithm.GCRA, RateLimitAlgorithm.FIXED_WINDOW,
                    RateLimitAlgorithm.TOKEN_BUCKET, RateLimitAlgorithm.SLIDING_WINDOW_COUNTER, RateLimitAlgorithm.SLIDING_LOG}) {
                rows.add(measure("strata " + a.code(), () -> {
                    LocalRateLimiter limiter = LocalRateLimiter.builder("m").algorithm(a).limit(100, Duration.ofMinutes(1)).build();
                    for (int i = 0; i < KEYS; i++) {
                        limiter.tryAcquire(key(i));
                    }
                    return limiter;
                }));
            }
            rows.add(measure("bucket4j bucket in ConcurrentHashMap", () -> fill(() -> Bucket.builder()
                    .addLimit(Bandwidth.builder().capacity(100).refillGreedy(100, Duration.ofMinutes(1)).build()).build(),
                    b -> b.tryConsume(1))));
            rows.add(measure("guava RateLimiter in ConcurrentHashMap", () -> fill(
                    () -> com.google.common.util.concurrent.RateLimiter.create(100.0 / 60), l -> l.tryAcquire())));
            rows.add(measure("resilience4j AtomicRateLimiter in ConcurrentHashMap", () -> fill(
                    () -> new AtomicRateLimiter("m", RateLimiterConfig.custom().limitForPeriod(100)
                            .limitRefreshPeriod(Duration.ofMinutes(1)).timeoutDuration(Duration.ZERO).build()),
                    AtomicRateLimiter::acquirePermission)));
        }
        System.out.println("bytes per key, " + KEYS + " keys, key strings and map included (JDK " + Runtime.version() + ")");
        rows.forEach(System.out::println);
    }

    static String key(int i) {
        return "client-" + (1_000_000 + i); // 14 characters, as a short client id
    }

    private static <T> Map<String, T> fill(Supplier<T> factory, java.util.function.Consumer<T> use) {
        Map<String, T> map = new ConcurrentHashMap<>();
        for (int i = 0; i < KEYS; i++) {
            T limiter = map.computeIfAbsent(key(i), k -> factory.get());
            use.accept(limiter);
        }
        return map;
    }

    private static String measure(String label, Supplier<Object> build) {
        long before = usedAfterGc();
        Object held = build.get();
        long after = usedAfterGc();
        String row = String.format("%-55s %6.0f B/key", label, (after - before) / (double) KEYS);
        java.lang.ref.Reference.reachabilityFence(held); // the structure stays reachable until measured
        return row;
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
