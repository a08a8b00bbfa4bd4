package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final long MS = 1_000_000L;

    @Test
    void exponentialDelaysGrowByTheMultiplierUpToTheCap() {
        Backoff backoff = Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofMillis(500));
        assertThat(backoff.delayNanos(1, 0, Jitter.NONE)).isEqualTo(100 * MS);
        assertThat(backoff.delayNanos(2, 0, Jitter.NONE)).isEqualTo(200 * MS);
        assertThat(backoff.delayNanos(3, 0, Jitter.NONE)).isEqualTo(400 * MS);
        assertThat(backoff.delayNanos(4, 0, Jitter.NONE)).isEqualTo(500 * MS);
        assertThat(backoff.delayNanos(60, 0, Jitter.NONE)).isEqualTo(500 * MS);
    }

    @Test
    void fullJitterStaysBetweenZeroAndTheNominalDelayAndSpreads() {
        Backoff backoff = Backoff.fixed(Duration.ofMillis(100));
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 2_000; i++) {
            long d = backoff.delayNanos(1, 0, Jitter.FULL);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isGreaterThanOrEqualTo(0).isLessThan(20 * MS);
        assertThat(max).isLessThanOrEqualTo(100 * MS).isGreaterThan(80 * MS);
        assertThat(backoff.minimumNanos(1, Jitter.FULL)).isZero();
    }

    @Test
    void equalJitterKeepsAtLeastHalfTheNominalDelay() {
        Backoff backoff = Backoff.fixed(Duration.ofMillis(100));
        for (int i = 0; i < 2_000; i++) {
            assertThat(backoff.delayNanos(1, 0, Jitter.EQUAL)).isBetween(50 * MS, 100 * MS);
        }
        assertThat(backoff.minimumNanos(1, Jitter.EQUAL)).isEqualTo(50 * MS);
    }

    @Test
    void decorrelatedDrawsBetweenTheBaseAndThreeTimesThePreviousDelayCapped() {
        Backoff backoff = Backoff.decorrelated(Duration.ofMillis(10), Duration.ofMillis(200));
        long previous = 0;
        for (int retry = 1; retry < 200; retry++) {
            long d = backoff.delayNanos(retry, previous, Jitter.FULL);
            assertThat(d).isBetween(10 * MS, Math.min(200 * MS, Math.max(10 * MS, previous) * 3));
            previous = d;
        }
    }

    @Test
    void invalidConfigurationNamesTheFieldTheValueAndTheRange() {
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(100), 0.5, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backoff.multiplier: 0.5 is out of range; allowed 1.0..10.0");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(1)))
                .hasMessage("backoff.cap: 1.00s is out of range; allowed 2.00s..60m00s");
        assertThatThrownBy(() -> Retry.builder().maxAttempts(0))
                .hasMessage("maxAttempts: 0 is out of range; allowed 1..100");
        assertThatThrownBy(() -> Timeout.of(Duration.ZERO))
                .hasMessage("timeout: 0us is out of range; allowed 1ms..1440m00s");
    }
}
