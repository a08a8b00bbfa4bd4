package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each algorithm's documented trade-off, shown on a {@link ManualClock}: the fixed window's
 * boundary burst, the log's memory, the counter's approximation, and the bucket algorithms'
 * burst-then-rate behaviour (the token bucket and GCRA deciding alike).
 */
class RateLimitTradeOffTest {

    private final ManualClock clock = new ManualClock();

    private LocalRateLimiter limiter(RateLimitAlgorithm algorithm, long limit, Duration window) {
        return LocalRateLimiter.builder("api").algorithm(algorithm).limit(limit, window).clock(clock)
                .events(EventBus.detached()).build();
    }

    /** Sends {@code n} requests at the current time and returns how many were admitted. */
    private static int burst(RateLimiter limiter, int n) {
        int admitted = 0;
        for (int i = 0; i < n; i++) {
            if (limiter.tryAcquire("client")) {
                admitted++;
            }
        }
        return admitted;
    }

    /**
     * Seed 004: 100 per minute; 100 requests at 00:59 and 100 at 01:01 (we use 01:00 + 1 s): the
     * fixed window admits 200 within 2 seconds. The others admit the limit plus at most what
     * their rate refills in those 2 seconds.
     */
    @Test
    void theFixedWindowAdmitsTwiceTheLimitAcrossABoundary() {
        int[] admitted = new int[RateLimitAlgorithm.values().length];
        for (RateLimitAlgorithm algorithm : RateLimitAlgorithm.values()) {
            ManualClock local = new ManualClock();
            LocalRateLimiter limiter = LocalRateLimiter.builder("api").algorithm(algorithm)
                    .limit(100, Duration.ofMinutes(1)).clock(local).events(EventBus.detached()).build();
            local.advance(Duration.ofSeconds(59));
            int first = burst(limiter, 100);
            local.advance(Duration.ofSeconds(2));
            admitted[algorithm.ordinal()] = first + burst(limiter, 100);
        }
        assertThat(admitted[RateLimitAlgorithm.FIXED_WINDOW.ordinal()]).isEqualTo(200);
        assertThat(admitted[RateLimitAlgorithm.SLIDING_LOG.ordinal()]).isEqualTo(100);
        // the counter weighs the previous window by 59/60 one second into the next: 100*59/60 = 98.3 -> 1 more
        assertThat(admitted[RateLimitAlgorithm.SLIDING_WINDOW_COUNTER.ordinal()]).isEqualTo(101);
        // the buckets refill 100/60 per second: 3.33 permits in 2 s
        assertThat(admitted[RateLimitAlgorithm.TOKEN_BUCKET.ordinal()]).isEqualTo(103);
        assertThat(admitted[RateLimitAlgorithm.GCRA.ordinal()]).isEqualTo(103);
    }

    /**
     * The counter's error: it assumes the previous window's requests were spread evenly. When they
     * were all at its very end, it lets through more than the limit in a sliding window — but only
     * what the decaying weight frees, about {@code L*s/W} in a span {@code s} after the boundary,
     * never a second full burst as the fixed window does.
     */
    @Test
    void theCountersErrorIsBoundedByWhatItsWeightFrees() {
        long limit = 100;
        Duration window = Duration.ofSeconds(60);
        LocalRateLimiter counter = limiter(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER, limit, window);
        List<Long> admittedAt = new ArrayList<>();
        clock.advance(Duration.ofMillis(59_999)); // the whole previous window's quota at its last millisecond
        for (int i = 0; i < 100; i++) {
            if (counter.tryAcquire("client")) {
                admittedAt.add(clock.nanoTime());
            }
        }
        // then a greedy client asks every 100 ms for a whole window
        for (int step = 0; step < 600; step++) {
            clock.advance(Duration.ofMillis(100));
            while (counter.tryAcquire("client")) {
                admittedAt.add(clock.nanoTime());
            }
        }
        long w = window.toNanos();
        int worst = maxInAnyWindow(admittedAt, w);
        assertThat(worst).as("sliding-window count exceeds the limit: the counter is approximate").isGreaterThan(100);
        for (int seconds : new int[] {1, 6, 15, 30, 59}) {
            long spanEnd = Duration.ofMillis(59_999).toNanos() + Duration.ofSeconds(seconds).toNanos();
            long inSpan = admittedAt.stream().filter(t -> t <= spanEnd).count();
            long bound = limit + (long) Math.ceil((double) limit * seconds / 60);
            assertThat(inSpan).as("admitted within %d s of the burst", seconds).isLessThanOrEqualTo(bound);
        }
        assertThat(worst).as("never the fixed window's 2L").isLessThan(200);
    }

    private static int maxInAnyWindow(List<Long> times, long window) {
        int worst = 0;
        int start = 0;
        for (int end = 0; end < times.size(); end++) {
            while (times.get(end) - times.get(start) >= window) {
                start++;
            }
            worst = Math.max(worst, end - start + 1);
        }
        return worst;
    }

    /** The log is exact, and pays for it in memory: one 8-byte timestamp per permit in the window. */
    @Test
    void theLogIsExactButHoldsATimestampPerPermit() {
        LocalRateLimiter log = limiter(RateLimitAlgorithm.SLIDING_LOG, 10_000, Duration.ofSeconds(10));
        List<Long> admittedAt = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int step = 0; step < 20_000; step++) {
            clock.advance(Duration.ofMillis(random.nextInt(3)));
            int n = 1 + random.nextInt(3);
            for (int i = 0; i < n; i++) {
                if (log.tryAcquire("client")) {
                    admittedAt.add(clock.nanoTime());
                }
            }
        }
        assertThat(maxInAnyWindow(admittedAt, Duration.ofSeconds(10).toNanos())).isEqualTo(10_000);
        assertThat(log.storedTimestamps("client")).as("timestamps held for one key").isEqualTo(10_000);

        // a quiet spell gives the memory back as the key keeps being used at a low rate
        for (int i = 0; i < 20; i++) {
            clock.advance(Duration.ofSeconds(11));
            log.tryAcquire("client");
        }
        assertThat(log.storedTimestamps("client")).isLessThanOrEqualTo(64);

        LocalRateLimiter counter = limiter(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER, 10_000, Duration.ofSeconds(10));
        burst(counter, 10_000);
        assertThat(counter.storedTimestamps("client")).as("the counter's state is constant").isZero();
    }

    /** Token bucket and GCRA are one algorithm in two representations: equal decisions on any trace. */
    @Test
    void theTokenBucketAndGcraDecideAlike() {
        LocalRateLimiter bucket = LocalRateLimiter.builder("api").algorithm(RateLimitAlgorithm.TOKEN_BUCKET)
                .limit(7, Duration.ofSeconds(3)).burst(12).clock(clock).events(EventBus.detached()).build();
        LocalRateLimiter gcra = LocalRateLimiter.builder("api").algorithm(RateLimitAlgorithm.GCRA)
                .limit(7, Duration.ofSeconds(3)).burst(12).clock(clock).events(EventBus.detached()).build();
        SplittableRandom random = new SplittableRandom(42);
        RateLimitDecision a = new RateLimitDecision();
        RateLimitDecision b = new RateLimitDecision();
        int admitted = 0;
        for (int i = 0; i < 50_000; i++) {
            clock.advance(Duration.ofNanos(random.nextLong(800_000_000L)));
            String key = "k" + random.nextInt(3);
            int permits = 1 + random.nextInt(4);
            boolean x = bucket.tryAcquire(key, permits, a);
            boolean y = gcra.tryAcquire(key, permits, b);
            assertThat(y).as("decision %d", i).isEqualTo(x);
            assertThat(b.remaining()).isEqualTo(a.remaining());
            assertThat(b.retryAfterNanos()).isEqualTo(a.retryAfterNanos());
            assertThat(b.resetNanos()).isEqualTo(a.resetNanos());
            admitted += x ? 1 : 0;
        }
        assertThat(admitted).isBetween(10_000, 49_000); // the trace exercised both answers
    }

    /** The buckets allow the burst after a quiet period, then exactly the sustained rate. */
    @Test
    void theBucketsAllowTheBurstThenTheRate() {
        for (RateLimitAlgorithm algorithm : new RateLimitAlgorithm[] {RateLimitAlgorithm.TOKEN_BUCKET, RateLimitAlgorithm.GCRA}) {
            ManualClock local = new ManualClock();
            LocalRateLimiter limiter = LocalRateLimiter.builder("api").algorithm(algorithm)
                    .limit(10, Duration.ofSeconds(1)).burst(50).clock(local).events(EventBus.detached()).build();
            assertThat(burst(limiter, 80)).isEqualTo(50);
            int sustained = 0;
            for (int ms = 0; ms < 10_000; ms++) {
                local.advance(Duration.ofMillis(1));
                sustained += burst(limiter, 1);
            }
            assertThat(sustained).as(algorithm.code()).isEqualTo(100); // 10 per second for 10 s
        }
    }
}
