package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.strata.call.Clock;
import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A caller reads the clock once, before it decides; when other callers decide in between, its
 * reading is older than the state it meets. Such a stale reading must be decided against the
 * newest state: a window index, a log or a refill time never moves backwards, and nothing is
 * admitted beyond the limit. Scripted on a {@link ManualClock} with one stale reading injected.
 */
class StaleClockReadingTest {

    private final StaleClock clock = new StaleClock();

    private LocalRateLimiter limiter(RateLimitAlgorithm algorithm, long limit, Duration window) {
        return LocalRateLimiter.builder("api").algorithm(algorithm).limit(limit, window).clock(clock)
                .events(EventBus.detached()).build();
    }

    private static int burst(RateLimiter limiter, int n) {
        int admitted = 0;
        for (int i = 0; i < n; i++) {
            admitted += limiter.tryAcquire("k") ? 1 : 0;
        }
        return admitted;
    }

    /**
     * 10 per second: 10 admitted at 5.5 s; one caller whose reading is 4.999 s; 10 more asked at
     * 5.6 s. The stale caller is decided against window 5 (full), so window 5 admits 10 in all.
     */
    @Test
    void fixedWindowCallerWithAPreviousWindowReadingCannotResetTheCurrentWindow() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.FIXED_WINDOW, 10, Duration.ofSeconds(1));
        clock.at(Duration.ofMillis(5_500));
        int admitted = burst(limiter, 10);
        clock.nextReading(Duration.ofMillis(4_999));
        RateLimitDecision stale = new RateLimitDecision();
        admitted += limiter.tryAcquire("k", 1, stale) ? 1 : 0;
        clock.at(Duration.ofMillis(5_600));
        admitted += burst(limiter, 10);

        assertThat(admitted).as("admitted in window 5 of a 10/s fixed window").isEqualTo(10);
        assertThat(stale.allowed()).isFalse();
        // the stale caller is told when window 5 ends, measured from its own reading
        assertThat(stale.retryAfter()).isEqualTo(Duration.ofMillis(1_001));
    }

    /** The same script on the sliding window counter: its previous and current counts are not reset either. */
    @Test
    void slidingWindowCounterCallerWithAPreviousWindowReadingCannotResetTheCurrentWindow() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER, 10, Duration.ofSeconds(1));
        clock.at(Duration.ofMillis(5_500));
        int admitted = burst(limiter, 10);
        clock.nextReading(Duration.ofMillis(4_999));
        admitted += burst(limiter, 1);
        clock.at(Duration.ofMillis(5_600));
        admitted += burst(limiter, 10);
        assertThat(admitted).as("admitted within 0.1 s by a 10/s sliding window counter").isEqualTo(10);

        // window 6 still weighs window 5's 10 permits: none before they have slid out enough
        clock.at(Duration.ofMillis(6_050));
        assertThat(burst(limiter, 10)).isZero();
    }

    /**
     * Limit 2 per second. At 1.0 s one permit; a caller with a 0.5 s reading takes the second.
     * Recorded after the 1.0 s entry, a 0.5 s timestamp put the log out of order, and the wait
     * for two permits at 1.5 s + 1 ns came out as -1 ns: the "admitted" sentinel, so the call
     * was granted without recording anything.
     */
    @Test
    void slidingLogStaleReadingNeverGrantsWithoutRecording() {
        LocalRateLimiter limiter = slidingLogWithAStaleSecondPermit();
        RateLimitDecision d = new RateLimitDecision();
        clock.at(Duration.ofMillis(1_500).plusNanos(1));
        boolean granted = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> limiter.tryAcquire("k", 2, d));
        assertThat(granted).as("two permits are in the log's window").isFalse();
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterNanos()).isPositive();
        assertBothPermitsWereRecordedAtOneSecond(limiter);
    }

    /**
     * The same log one nanosecond later: the wait came out as -2 ns, the "retired" sentinel, so
     * the limiter looked the key up again and decided again, forever.
     */
    @Test
    void slidingLogStaleReadingNeverSpinsForever() {
        LocalRateLimiter limiter = slidingLogWithAStaleSecondPermit();
        RateLimitDecision d = new RateLimitDecision();
        clock.at(Duration.ofMillis(1_500).plusNanos(2));
        boolean granted = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> limiter.tryAcquire("k", 2, d));
        assertThat(granted).isFalse();
        assertThat(d.retryAfterNanos()).isPositive();
        assertBothPermitsWereRecordedAtOneSecond(limiter);
    }

    private LocalRateLimiter slidingLogWithAStaleSecondPermit() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.SLIDING_LOG, 2, Duration.ofSeconds(1));
        clock.at(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("k")).isTrue();
        clock.nextReading(Duration.ofMillis(500));
        assertThat(limiter.tryAcquire("k")).as("second of 2 permits, however stale the reading").isTrue();
        return limiter;
    }

    /** The stale permit was recorded at the newest time the log had seen (1.0 s): both leave the window at 2.0 s. */
    private void assertBothPermitsWereRecordedAtOneSecond(LocalRateLimiter limiter) {
        clock.at(Duration.ofMillis(1_999));
        assertThat(limiter.tryAcquire("k")).isFalse();
        clock.at(Duration.ofMillis(2_000).plusNanos(1));
        assertThat(limiter.tryAcquire("k", 2)).isTrue();
    }

    /**
     * GCRA 10 per second, burst 10: the burst at 5.5 s moves the arrival time to 6.5 s. A caller
     * with a 4.999 s reading is refused and told 0.601 s (to 5.6 s); the arrival time stays at
     * 6.5 s, so 5.55 s is refused and 5.6 s admits exactly one.
     */
    @Test
    void gcraStaleReadingNeverMovesTheArrivalTimeBackNorOverAdmits() {
        assertBucketHoldsAgainstAStaleReading(RateLimitAlgorithm.GCRA);
    }

    /** The same script on the token bucket: its refill time never moves back, its waits equal GCRA's. */
    @Test
    void tokenBucketStaleReadingNeverMovesTheRefillTimeBackNorOverAdmits() {
        assertBucketHoldsAgainstAStaleReading(RateLimitAlgorithm.TOKEN_BUCKET);
    }

    private void assertBucketHoldsAgainstAStaleReading(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 10, Duration.ofSeconds(1));
        clock.at(Duration.ofMillis(5_500));
        assertThat(limiter.tryAcquire("k", 10)).isTrue();
        RateLimitDecision stale = new RateLimitDecision();
        clock.nextReading(Duration.ofMillis(4_999));
        assertThat(limiter.tryAcquire("k", 1, stale)).isFalse();
        assertThat(stale.remaining()).isZero();
        assertThat(stale.retryAfter()).as("measured from the stale reading: the permit comes at 5.6 s")
                .isEqualTo(Duration.ofMillis(601));
        clock.at(Duration.ofMillis(5_550));
        assertThat(burst(limiter, 10)).isZero();
        clock.at(Duration.ofMillis(5_600));
        assertThat(burst(limiter, 10)).as("one permit refilled in 0.1 s").isEqualTo(1);
    }

    /**
     * Fixed window, 10 per second: 10 at 5.5 s; at 7.6 s the key is at rest and evictIdle()
     * forgets it; then a caller whose reading is 5.6 s (taken before the sweep) asks for 10.
     * Deciding it on a fresh state at 5.6 s would have admitted 20 in window 5; it is decided no
     * earlier than the sweep, in window 7, which it fills.
     */
    @Test
    void aStaleReadingAfterItsKeyWasForgottenIsDecidedNoEarlierThanTheSweep() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.FIXED_WINDOW, 10, Duration.ofSeconds(1));
        clock.at(Duration.ofMillis(5_500));
        assertThat(limiter.tryAcquire("k", 10)).isTrue();
        clock.at(Duration.ofMillis(7_600));
        assertThat(limiter.evictIdle()).isEqualTo(1);

        RateLimitDecision stale = new RateLimitDecision();
        clock.nextReading(Duration.ofMillis(5_600));
        assertThat(limiter.tryAcquire("k", 10, stale)).isTrue();
        assertThat(Duration.ofMillis(5_600).plusNanos(stale.resetNanos()))
                .as("the window that counted the stale caller ends at").isEqualTo(Duration.ofSeconds(8));
        clock.at(Duration.ofMillis(7_700));
        assertThat(limiter.tryAcquire("k")).as("window 7 is full").isFalse();
    }

    /**
     * Telling a newer window from an older one takes the window's index, kept beside the count in
     * one long: at the largest limit 32 bits (compared by signed difference, exact up to 2^31
     * windows apart), at a usual limit far more. A key idle that long still starts a new window.
     */
    @Test
    void fixedWindowTellsALongIdleKeysOldWindowFromANewerOne() {
        LocalRateLimiter largest = limiter(RateLimitAlgorithm.FIXED_WINDOW, Integer.MAX_VALUE, Duration.ofMillis(1));
        assertThat(largest.tryAcquire("k", Integer.MAX_VALUE)).isTrue();
        assertThat(largest.tryAcquire("k")).isFalse();
        clock.at(Duration.ofMillis((1L << 31) - 1)); // 24.8 days of 1 ms windows later
        assertThat(largest.tryAcquire("k", Integer.MAX_VALUE)).isTrue();

        LocalRateLimiter usual = limiter(RateLimitAlgorithm.FIXED_WINDOW, 1000, Duration.ofMillis(1));
        assertThat(usual.tryAcquire("k", 1000)).isTrue();
        assertThat(usual.tryAcquire("k")).isFalse();
        clock.at(Duration.ofMillis((1L << 31) - 1 + (1L << 40))); // 35 years later
        assertThat(usual.tryAcquire("k", 1000)).isTrue();
        assertThat(usual.tryAcquire("k")).isFalse();
    }

    /** A {@link ManualClock} whose next reading can be set back, as read by a caller that decides only later. */
    static final class StaleClock implements Clock {
        private final ManualClock clock = new ManualClock();
        private long staleNext = -1;

        void at(Duration time) {
            clock.advance(time.minusNanos(clock.nanoTime()));
        }

        void nextReading(Duration time) {
            staleNext = time.toNanos();
        }

        @Override
        public long nanoTime() {
            long stale = staleNext;
            if (stale >= 0) {
                staleNext = -1;
                return stale;
            }
            return clock.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return clock.currentTimeMillis();
        }

        @Override
        public void sleep(long nanos) throws InterruptedException {
            clock.sleep(nanos);
        }
    }
}
