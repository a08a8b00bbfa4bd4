package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The sliding window counter's admission, compared in integers: the previous window's unexpired
 * share plus the current count may reach the limit exactly and not pass it, also where the
 * products no longer fit in 64 bits.
 */
class SlidingWindowCounterTest {

    private final ManualClock clock = new ManualClock();

    private LocalRateLimiter limiter(long limit, Duration window) {
        return LocalRateLimiter.builder("api").algorithm(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER)
                .limit(limit, window).clock(clock).events(EventBus.detached()).build();
    }

    @Test
    void thePreviousWindowsShareLeavesRoomForExactlyTheRest() {
        LocalRateLimiter limiter = limiter(3, Duration.ofSeconds(3));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("k")).isTrue();
        }
        clock.advance(Duration.ofSeconds(4)); // 1 s into the next window: 3 x 2/3 = 2 still counted
        assertThat(limiter.tryAcquire("k")).isTrue();
        assertThat(limiter.tryAcquire("k")).as("2 + 1 reached the limit").isFalse();
        clock.advance(Duration.ofSeconds(1)); // 2 s in: 3 x 1/3 = 1, plus the 1 taken
        assertThat(limiter.tryAcquire("k")).isTrue();
        assertThat(limiter.tryAcquire("k")).isFalse();
    }

    @Test
    void aReadingInTheSameWindowAndOneInALaterWindowDecideAlike() {
        LocalRateLimiter limiter = limiter(10, Duration.ofSeconds(10));
        assertThat(limiter.tryAcquire("k", 10)).isTrue();
        clock.advance(Duration.ofSeconds(9));
        assertThat(limiter.tryAcquire("k")).as("same window, full").isFalse();
        clock.advance(Duration.ofSeconds(16)); // 25 s: two windows on, nothing of the first weighs
        assertThat(limiter.tryAcquire("k", 10)).isTrue();
    }

    @Test
    void countsAndWindowsWhoseProductsPass64BitsAreComparedExactly() {
        // 2e9 x 3.6e12 ns is about 7e21, beyond a long: the comparison needs the high halves
        LocalRateLimiter limiter = limiter(2_000_000_000L, Duration.ofHours(1));
        assertThat(limiter.tryAcquire("k", 2_000_000_000)).isTrue();
        clock.advance(Duration.ofMinutes(90)); // half of the previous window still weighs: 1e9
        assertThat(limiter.tryAcquire("k", 1_000_000_000)).isTrue();
        assertThat(limiter.tryAcquire("k")).as("1e9 + 1e9 is the limit").isFalse();
        clock.advance(Duration.ofNanos(1_800)); // 1,800 ns later the share has dropped by one permit
        assertThat(limiter.tryAcquire("k")).isTrue();
        assertThat(limiter.tryAcquire("k")).isFalse();
    }
}
