package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Deadline;
import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The {@link RateLimiter} contract on every in-process algorithm, on a {@link ManualClock}. */
class LocalRateLimiterTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    LocalRateLimiterTest() {
        bus.subscribe(events::add);
    }

    private LocalRateLimiter limiter(RateLimitAlgorithm algorithm, long limit, Duration window) {
        return LocalRateLimiter.builder("api").algorithm(algorithm).limit(limit, window).clock(clock).events(bus).build();
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void admitsTheLimitThenRefusesWithTheTimeUntilAPermit(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 5, Duration.ofSeconds(10));
        RateLimitDecision d = new RateLimitDecision();
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquire("client-1", 1, d)).as("request %d", i).isTrue();
            assertThat(d.allowed()).isTrue();
            assertThat(d.limit()).isEqualTo(5);
            assertThat(d.remaining()).isEqualTo(4 - i);
        }
        assertThat(limiter.tryAcquire("client-1", 1, d)).isFalse();
        assertThat(d.allowed()).isFalse();
        assertThat(d.remaining()).isZero();
        // the counter may wait into the next window, where this window's count still weighs
        assertThat(d.retryAfterNanos()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(20).toNanos());
        assertThat(d.retryAfterSeconds()).isBetween(1L, 20L);
        assertThat(limiter.rejectedCount()).isEqualTo(1);

        // another key has its own quota
        assertThat(limiter.tryAcquire("client-2")).isTrue();

        // after the announced wait the permit is there
        clock.advance(d.retryAfter());
        assertThat(limiter.tryAcquire("client-1")).isTrue();
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void aRefusalConsumesNothing(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 3, Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("k", 2)).isTrue();
        assertThat(limiter.tryAcquire("k", 2)).isFalse();
        assertThat(limiter.tryAcquire("k", 1)).isTrue();
        assertThat(limiter.tryAcquire("k", 1)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void theQuotaComesBackAfterTheWindow(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 4, Duration.ofSeconds(1));
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 4; i++) {
                assertThat(limiter.tryAcquire("k")).as("round %d request %d", round, i).isTrue();
            }
            assertThat(limiter.tryAcquire("k")).isFalse();
            clock.advance(Duration.ofSeconds(2)); // two windows: the counter's previous window is gone too
        }
    }

    @Test
    void headersFollowTheIetfDraft() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.FIXED_WINDOW, 100, Duration.ofMinutes(1));
        clock.advance(Duration.ofSeconds(30)); // 30 s into the first window
        RateLimitDecision d = limiter.decide("203.0.113.50");
        assertThat(limiter.policy().headerValue()).isEqualTo("\"api\";q=100;w=60");
        assertThat(d.rateLimitHeader()).isEqualTo("\"api\";r=99;t=30");
        assertThat(d.retryAfterSeconds()).isZero();
    }

    @Test
    void theLastPermitSaysWhenTheNextOneComes() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.GCRA, 2, Duration.ofSeconds(2));
        limiter.tryAcquire("k");
        RateLimitDecision d = limiter.decide("k");
        assertThat(d.allowed()).isTrue();
        assertThat(d.remaining()).isZero();
        assertThat(d.retryAfter()).isEqualTo(Duration.ofSeconds(1)); // one permit per second comes back
        assertThat(d.resetNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
    }

    @Test
    void aRejectionIsEventedAsRateLimitedWithItsRetryAfter() {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.GCRA, 1, Duration.ofSeconds(4));
        limiter.tryAcquire("alice");
        limiter.tryAcquire("alice");
        assertThat(events).hasSize(1);
        StrataEvent e = events.get(0);
        assertThat(e.type()).isEqualTo("ratelimit.rejected");
        assertThat(e.fault().kind()).isEqualTo(FaultKind.RATE_LIMITED);
        assertThat(e.fault().kind().qualifiedName()).isEqualTo("RESOURCE/rate-limited");
        assertThat(e.fault().retryAfter()).isEqualTo(Duration.ofSeconds(4));
        assertThat(e.message()).contains("'alice'").contains("api: 1 per 4.00s (gcra)");
    }

    @Test
    void acquireWaitsForThePermitOnTheLimitersClock() throws Exception {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1));
        for (int i = 0; i < 10; i++) {
            limiter.tryAcquire("k");
        }
        assertThat(limiter.acquire("k", 1, Duration.ofMillis(500))).isTrue();
        assertThat(clock.slept()).isEqualTo(Duration.ofMillis(100)); // one permit every 100 ms
    }

    @Test
    void acquireRefusesAtOnceWhenThePermitComesAfterTheMaxWait() throws Exception {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.FIXED_WINDOW, 1, Duration.ofMinutes(1));
        limiter.tryAcquire("k");
        RateLimitDecision d = new RateLimitDecision();
        assertThat(limiter.acquire("k", 1, Duration.ofSeconds(5), d)).isFalse();
        assertThat(clock.slept()).isZero(); // did not wait in vain
        assertThat(d.retryAfter()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void acquireNeverWaitsPastTheCurrentDeadline() throws Exception {
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.GCRA, 1, Duration.ofSeconds(2));
        limiter.tryAcquire("k");
        Deadline deadline = Deadline.after(Duration.ofSeconds(1), clock);
        boolean granted;
        try (Deadline.Scope ignored = deadline.enter()) {
            granted = limiter.acquire("k", 1, Duration.ofSeconds(30));
        }
        assertThat(granted).isFalse();
        assertThat(clock.slept()).isZero();

        try (Deadline.Scope ignored = Deadline.after(Duration.ofSeconds(3), clock).enter()) {
            granted = limiter.acquire("k", 1, Duration.ofSeconds(30));
        }
        assertThat(granted).isTrue();
        assertThat(clock.slept()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void badInputIsRefusedNamingFieldValueAndRange() {
        assertThatThrownBy(() -> limiter(RateLimitAlgorithm.GCRA, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limit: 0 is out of range; allowed 1..2147483647");
        assertThatThrownBy(() -> limiter(RateLimitAlgorithm.GCRA, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("window: 0").hasMessageContaining("1ms..1d");
        assertThatThrownBy(() -> LocalRateLimiter.builder("api").algorithm(RateLimitAlgorithm.FIXED_WINDOW).burst(5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("burst: 5 is not allowed for fixed-window");
        assertThatThrownBy(() -> LocalRateLimiter.builder("api").maxKeys(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxKeys: 0 is out of range; allowed 1..100000000");
        LocalRateLimiter limiter = limiter(RateLimitAlgorithm.GCRA, 10, Duration.ofSeconds(1));
        assertThatThrownBy(() -> limiter.tryAcquire("k", 11))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("permits: 11 is out of range; allowed 1..10");
        assertThatThrownBy(() -> limiter.tryAcquire("k", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("permits: 0 is out of range; allowed 1..10");
        assertThatThrownBy(() -> limiter.acquire("k", 1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("maxWait: ");
        assertThatThrownBy(() -> RateLimitAlgorithm.fromCode("leaky"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'leaky'").hasMessageContaining("gcra");
    }

    @Test
    void rateLimitedExceptionIsAResourceFaultWithRetryAfter() {
        RateLimitedException e = new RateLimitedException("payments", "payments-out", 50, Duration.ofMillis(1500).toNanos());
        assertThat(e.kind()).isEqualTo(FaultKind.RATE_LIMITED);
        assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(1500));
        assertThat(e.getMessage()).isEqualTo("[payments] RESOURCE/rate-limited (limiter payments-out): limit 50 reached; a permit is expected in 1.50s");
    }
}
