package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Clock;
import dev.strata.observe.EventBus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real threads on the system clock at window edges: every thread reads the clock before it
 * decides, so near a boundary some decide with a reading from the previous window after others
 * have moved on. No window may admit more than the limit.
 */
class WindowEdgeConcurrencyTest {

    private static final int THREADS = 4;
    private static final long LIMIT = 50;
    private static final long WINDOW = Duration.ofMillis(1).toNanos();
    private static final long RUN = Duration.ofSeconds(2).toNanos();
    private static final int MAX_ATTEMPTS_PER_THREAD = 2_000_000;

    /**
     * 4 threads, 50 per 1 ms, for 2 s (or 2,000,000 attempts per thread): each admission is
     * counted in the window that counted it, by the limiter's own clock: the reading it decided
     * with plus the decision's reset time is the end of that window (of the next one for the
     * counter, whose reset covers the window after it). Each window's count is at most 50.
     */
    @ParameterizedTest
    @EnumSource(value = RateLimitAlgorithm.class, names = {"FIXED_WINDOW", "SLIDING_WINDOW_COUNTER"})
    void fourThreadsAtFiftyPerMillisecondNeverExceedTheLimitInAnyWindow(RateLimitAlgorithm algorithm) throws Exception {
        ReadingClock clock = new ReadingClock();
        LocalRateLimiter limiter = LocalRateLimiter.builder("edge").algorithm(algorithm)
                .limit(LIMIT, Duration.ofNanos(WINDOW)).clock(clock).events(EventBus.detached()).build();
        long origin = clock.lastReading();
        long windowsCoveredByReset = algorithm == RateLimitAlgorithm.FIXED_WINDOW ? 1 : 2;

        List<Map<Long, Integer>> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        long until = System.nanoTime() + RUN;
        for (int t = 0; t < THREADS; t++) {
            Map<Long, Integer> counts = new HashMap<>();
            perThread.add(counts);
            threads.add(Thread.ofPlatform().start(() -> {
                RateLimitDecision d = new RateLimitDecision();
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < MAX_ATTEMPTS_PER_THREAD && System.nanoTime() < until; i++) {
                    if (limiter.tryAcquire("hot", 1, d)) {
                        long end = clock.lastReading() - origin + d.resetNanos();
                        counts.merge(end / WINDOW - windowsCoveredByReset, 1, Integer::sum);
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(30))).isTrue();
        }

        TreeMap<Long, Integer> perWindow = new TreeMap<>();
        perThread.forEach(m -> m.forEach((w, n) -> perWindow.merge(w, n, Integer::sum)));
        long admitted = perWindow.values().stream().mapToLong(Integer::longValue).sum();
        long overBound = perWindow.values().stream().mapToLong(n -> Math.max(0, n - LIMIT)).sum();
        List<Map.Entry<Long, Integer>> over = perWindow.entrySet().stream().filter(e -> e.getValue() > LIMIT).toList();
        assertThat(admitted).as("the run admitted something").isPositive();
        assertThat(over).as("%s: %d windows over %d, %d admissions over the bound, of %d admitted in %d windows",
                algorithm.code(), over.size(), LIMIT, overBound, admitted, perWindow.size()).isEmpty();
    }

    /** The system clock, remembering each thread's last reading (the one its decision used). */
    static final class ReadingClock implements Clock {
        private final ThreadLocal<long[]> last = ThreadLocal.withInitial(() -> new long[1]);

        @Override
        public long nanoTime() {
            long now = System.nanoTime();
            last.get()[0] = now;
            return now;
        }

        long lastReading() {
            return last.get()[0];
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public void sleep(long nanos) throws InterruptedException {
            Clock.system().sleep(nanos);
        }
    }
}
