package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AttemptBudgetTest {

    private static Retry retry(int attempts, Backoff backoff, Jitter jitter) {
        return Retry.builder().maxAttempts(attempts).backoff(backoff).jitter(jitter).build();
    }

    @Test
    void theShopsPaymentsSecondAttemptRunsWithOneSecondLeft() {
        // examples/shop.yaml: deadline 3.5s, timeout 2s, 2 attempts, exponential 500ms x2 up to 2s, full jitter
        AttemptBudget b = AttemptBudget.of(retry(2, Backoff.exponential(Duration.ofMillis(500), 2, Duration.ofSeconds(2)),
                Jitter.FULL), Duration.ofSeconds(2), Duration.ofMillis(3500));
        assertThat(b.earliestStartNanos(2)).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(b.latestStartNanos(2)).isEqualTo(Duration.ofMillis(2500).toNanos());
        assertThat(b.firstAttemptThatCannotStart()).isZero();
        assertThat(b.firstAttemptThatMayNotStart()).isZero();
        b.requireEveryAttemptCanStart();
    }

    @Test
    void anAttemptThatCanStartOnlyWhenBackoffIsShortMayNotStart() {
        // recommendations: deadline 3s, timeout 1s, 3 attempts, exponential 1s x2 up to 4s, full jitter
        AttemptBudget b = AttemptBudget.of(retry(3, Backoff.exponential(Duration.ofSeconds(1), 2, Duration.ofSeconds(4)),
                Jitter.FULL), Duration.ofSeconds(1), Duration.ofSeconds(3));
        assertThat(b.earliestStartNanos(3)).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(b.latestStartNanos(3)).isEqualTo(Duration.ofSeconds(5).toNanos()); // 2 x 1s + 1s + 2s
        assertThat(b.firstAttemptThatCannotStart()).isZero();
        assertThat(b.firstAttemptThatMayNotStart()).isEqualTo(3);
    }

    @Test
    void namesTheFirstAttemptThatCanNeverStart() {
        AttemptBudget b = AttemptBudget.of(retry(4, Backoff.fixed(Duration.ofMillis(500)), Jitter.NONE),
                Duration.ofSeconds(2), Duration.ofSeconds(4));
        assertThat(b.earliestStartNanos(2)).isEqualTo(Duration.ofMillis(2500).toNanos());
        assertThat(b.earliestStartNanos(3)).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(b.firstAttemptThatCannotStart()).isEqualTo(3);
        assertThatThrownBy(b::requireEveryAttemptCanStart).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("deadline: 4.00s cannot fit 4 attempts x 2.00s timeout");
    }

    @Test
    void decorrelatedMaximumTriplesFromTheBaseUpToTheCap() {
        Backoff d = Backoff.decorrelated(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(d.maximumNanos(1, Jitter.FULL)).isEqualTo(Duration.ofMillis(300).toNanos());
        assertThat(d.maximumNanos(2, Jitter.FULL)).isEqualTo(Duration.ofMillis(900).toNanos());
        assertThat(d.maximumNanos(3, Jitter.FULL)).isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void attemptOutOfRangeIsRefusedWithTheRange() {
        AttemptBudget b = AttemptBudget.of(Retry.ofDefaults(), null, Duration.ofSeconds(1));
        assertThatThrownBy(() -> b.earliestStartNanos(4)).hasMessage("attempt: 4 is out of range; allowed 1..3");
    }
}
