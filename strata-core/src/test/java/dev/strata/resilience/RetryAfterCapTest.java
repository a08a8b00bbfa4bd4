package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.fault.HttpStatusException;
import dev.strata.internal.Durations;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 4: a Retry-After hint is honoured up to a cap (default 60 s, configurable); a
 * hint beyond it ends the call at once with a failure that says so, instead of holding a
 * bulkhead slot for a day; absurd values never overflow.
 */
class RetryAfterCapTest {

    private final TestClock clock = new TestClock();
    private final Events events = new Events();
    private final AtomicInteger calls = new AtomicInteger();

    private static Retry.Builder retry() {
        return Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).jitter(Jitter.NONE);
    }

    private String busyFor(Duration retryAfter) {
        calls.incrementAndGet();
        throw new HttpStatusException(503, retryAfter, "busy");
    }

    @Test
    void retryAfterOfADayGivesUpAtOnceWithAFailureThatSaysSo() {
        Pipeline p = Pipeline.builder("payments").retry(retry().build()).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> busyFor(Duration.ofSeconds(86_400))))
                .isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
                    assertThat(e.getMessage()).contains("Retry-After 1440m00s").contains("maxRetryAfter 1m00s");
                    assertThat(e.getCause()).isInstanceOf(HttpStatusException.class);
                });
        assertThat(calls).hasValue(1);
        assertThat(clock.sleeps).as("nothing slept").isEmpty();
        assertThat(events.lines()).anySatisfy(line -> assertThat(line).contains("giving up").contains("Retry-After"));
    }

    @Test
    void retryAfterTooLargeForNanosecondsDoesNotOverflow() {
        Pipeline p = Pipeline.builder("payments").retry(retry().build()).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> busyFor(Duration.ofSeconds(99_999_999_999L))))
                .isInstanceOf(RetriesExhaustedException.class).hasMessageContaining("Retry-After");
        assertThat(calls).hasValue(1);
        assertThat(clock.sleeps).isEmpty();
    }

    @Test
    void retryAfterWithinTheDefaultCapIsHonoured() {
        Pipeline p = Pipeline.builder("payments").retry(retry().build()).clock(clock).events(events.bus).build();
        assertThat(p.execute(() -> calls.get() == 0 ? busyFor(Duration.ofSeconds(30)) : "ok")).isEqualTo("ok");
        assertThat(clock.sleptNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @Test
    void retryAfterCapIsConfigurable() {
        Pipeline p = Pipeline.builder("payments").retry(retry().maxRetryAfter(Duration.ofMinutes(2)).build())
                .clock(clock).events(events.bus).build();
        assertThat(p.execute(() -> calls.get() == 0 ? busyFor(Duration.ofSeconds(90)) : "ok")).isEqualTo("ok");
        assertThat(clock.sleptNanos()).isEqualTo(Duration.ofSeconds(90).toNanos());
        assertThat(retry().build().maxRetryAfter()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void asyncRetryAfterBeyondTheCapGivesUpAtOnce() throws Exception {
        Pipeline p = Pipeline.builder("payments").retry(retry().build()).events(events.bus).build();
        CompletableFuture<String> call = p.executeAsync(() -> {
            calls.incrementAndGet();
            return CompletableFuture.failedFuture(new HttpStatusException(503, Duration.ofSeconds(99_999_999_999L), "busy"));
        });
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RetriesExhaustedException.class).hasMessageContaining("Retry-After");
        assertThat(calls).hasValue(1);
    }

    @Test
    void maxRetryAfterOutOfRangeIsRefusedNamingTheField() {
        assertThatThrownBy(() -> Retry.builder().maxRetryAfter(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetryAfter");
        assertThatThrownBy(() -> Retry.builder().maxRetryAfter(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRetryAfter");
    }

    @Test
    void durationsFormatSaturatesInsteadOfThrowing() {
        assertThat(Durations.format(Duration.ofSeconds(99_999_999_999L))).isNotBlank();
    }
}
