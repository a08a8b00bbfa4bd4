package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.config.ConfigValues;
import dev.strata.http.TrustProxy;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitPolicy;
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
    void theStartLineSaysWhatTheLimitMeansForOneClient() {
        ManualClock clock = new ManualClock();
        assertThat(ShopHttpEdge.describe(theExampleLimit(clock).policy(), TrustProxy.none())).isEqualTo(
                "per-client limit on POST /checkout: a burst of 60, then 6 per second (token_bucket, 60 per 10s);"
                        + " clients are told apart by the TCP peer address (no proxy trusted)");
        RateLimitPolicy window = RateLimitPolicy.of("checkout", RateLimitAlgorithm.FIXED_WINDOW, 30, Duration.ofMinutes(1));
        assertThat(ShopHttpEdge.describe(window, TrustProxy.hops(1))).isEqualTo(
                "per-client limit on POST /checkout: 30 per 1m, 30 per minute on average (fixed_window, 30 per 1m);"
                        + " clients are told apart by " + TrustProxy.hops(1)
                        + " (X-Forwarded-For and the like read from trusted proxies only)");
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
