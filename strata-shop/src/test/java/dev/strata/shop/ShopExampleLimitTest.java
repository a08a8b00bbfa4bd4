package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.config.ConfigValues;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The per-client limit examples/shop.yaml ships with, replayed on a {@link ManualClock}: one
 * interactive client is comfortably admitted, a burst from one client is mostly refused.
 */
class ShopExampleLimitTest {

    private static LocalRateLimiter theExampleLimit(ManualClock clock) {
        ConfigValues root = ShopFile.bundled().load(Map.of()).root();
        return LocalRateLimiter.builder("checkout").clock(clock)
                .algorithm(root.get("http.rate_limit.algorithm", RateLimitAlgorithm.class))
                .limit(root.get("http.rate_limit.limit", Integer.class), root.get("http.rate_limit.window", Duration.class))
                .build();
    }

    @Test
    void oneClientCheckingOutFourTimesASecondForFiveMinutesIsNeverRefused() {
        ManualClock clock = new ManualClock();
        LocalRateLimiter limit = theExampleLimit(clock);
        int refused = 0;
        for (int i = 0; i < 4 * 300; i++) {
            if (!limit.tryAcquire("127.0.0.1", 1)) {
                refused++;
            }
            clock.advance(Duration.ofMillis(250));
        }
        assertThat(refused).as("checkouts refused of 1200 at 4/s").isZero();
    }

    @Test
    void aBurstOfThreeHundredAtOnceFromOneClientIsMostlyRefused() {
        ManualClock clock = new ManualClock();
        LocalRateLimiter limit = theExampleLimit(clock);
        int admitted = 0;
        for (int i = 0; i < 300; i++) {
            if (limit.tryAcquire("127.0.0.1", 1)) {
                admitted++;
            }
        }
        assertThat(admitted).isBetween(1, 100);
    }
}
