package dev.strata.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    private final ManualClock clock = new ManualClock();

    @Test
    void remainingShrinksWithTheClockAndNeverGoesNegative() {
        Deadline deadline = Deadline.after(Duration.ofSeconds(5), clock);
        clock.advance(Duration.ofSeconds(2));
        assertThat(deadline.remaining()).isEqualTo(Duration.ofSeconds(3));
        clock.advance(Duration.ofSeconds(10));
        assertThat(deadline.remainingNanos()).isZero();
        assertThat(deadline.isExpired()).isTrue();
    }

    @Test
    void nestedDeadlineCannotExtendTheEnclosingOne() throws Exception {
        Deadline outer = Deadline.after(Duration.ofSeconds(2), clock);
        Deadline inner = Deadline.after(Duration.ofSeconds(30), clock);
        Duration seen = outer.call(() -> inner.call(() -> Deadline.current().remaining()));
        assertThat(seen).isEqualTo(Duration.ofSeconds(2));
        assertThat(Deadline.current()).isNull();
    }

    @Test
    void nestedShorterDeadlineWinsAndIsRestoredAfterwards() throws Exception {
        Deadline outer = Deadline.after(Duration.ofSeconds(10), clock);
        Deadline inner = Deadline.after(Duration.ofSeconds(1), clock);
        outer.call(() -> {
            assertThat(inner.call(() -> Deadline.current().remaining())).isEqualTo(Duration.ofSeconds(1));
            assertThat(Deadline.current()).isSameAs(outer);
            return null;
        });
    }

    @Test
    void remainingNanosOrUsesTheSmallerOfFallbackAndDeadline() {
        assertThat(Deadline.remainingNanosOr(7)).isEqualTo(7);
        Deadline.after(Duration.ofNanos(5), clock).run(() -> assertThat(Deadline.remainingNanosOr(7)).isEqualTo(5));
    }

    @Test
    void negativeBudgetIsRejectedWithTheValue() {
        assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(-1), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget")
                .hasMessageContaining("-1ms");
    }

    @Test
    void scopeRestoresThePreviousDeadlineEvenOnException() {
        Deadline d = Deadline.after(Duration.ofSeconds(1), clock);
        try (Deadline.Scope ignored = d.enter()) {
            assertThat(Deadline.current()).isSameAs(d);
        }
        assertThat(Deadline.current()).isNull();
    }

    @Test
    void manualClockSleepAdvancesTimeWithoutBlocking() throws InterruptedException {
        long before = System.nanoTime();
        clock.sleep(Duration.ofHours(1).toNanos());
        assertThat(clock.slept()).isEqualTo(Duration.ofHours(1));
        assertThat(System.nanoTime() - before).isLessThan(Duration.ofSeconds(1).toNanos());
    }
}
