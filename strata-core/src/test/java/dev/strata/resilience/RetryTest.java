package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.LayerTrace;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import dev.strata.fault.StrataException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The retry loop, driven by a manual clock so 30 s of backoff takes microseconds. */
class RetryTest {

    private static final long MS = 1_000_000L;

    private final TestClock clock = new TestClock();
    private final Events events = new Events();
    private final AtomicInteger calls = new AtomicInteger();

    private Pipeline.Builder pipeline(Retry retry) {
        return Pipeline.builder("payments").retry(retry).clock(clock).events(events.bus);
    }

    private static Retry retry(int attempts) {
        return Retry.builder().maxAttempts(attempts)
                .backoff(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10))).jitter(Jitter.NONE).build();
    }

    private String failWithReset() throws IOException {
        calls.incrementAndGet();
        throw new SocketException("Connection reset");
    }

    @Test
    void retriesHappenTheRightNumberOfTimes() {
        Pipeline p = pipeline(retry(4)).build();
        AtomicInteger attempts = new AtomicInteger();
        String result = p.execute(() -> attempts.incrementAndGet() < 3 ? failWithReset() : "ok");
        assertThat(result).isEqualTo("ok");
        assertThat(attempts).hasValue(3);
        calls.set(0);
        assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(RetriesExhaustedException.class);
        assertThat(calls).hasValue(4);
    }

    @Test
    void backoffDelaysIncreaseExponentially() {
        Pipeline p = pipeline(retry(5)).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(RetriesExhaustedException.class);
        assertThat(clock.sleeps).containsExactly(100 * MS, 200 * MS, 400 * MS, 800 * MS);
    }

    @Test
    void nonRetryable4xxIsNotRetriedAndEscapesUnchanged() {
        Pipeline p = pipeline(retry(5)).build();
        HttpStatusException notFound = new HttpStatusException(404);
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw notFound;
        })).isSameAs(notFound);
        assertThat(calls).hasValue(1);
        assertThat(clock.sleeps).isEmpty();
        assertThat(events.lines()).containsExactly(
                "INFO [payments] attempt 1/5 failed: APPLICATION/client-error (HTTP 404); not retried: application faults are never retried");
    }

    @Test
    void aCustomPredicateCannotMakeApplicationFaultsRetryable() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(3).retryOn(fault -> true).build()).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw new IllegalArgumentException("bad id");
        })).isInstanceOf(IllegalArgumentException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void finalFailurePropagatesAfterMaxRetriesWithTheLastFaultAndItsLayer() {
        Pipeline p = pipeline(retry(3)).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FaultKind.RETRIES_EXHAUSTED);
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.lastFault().kind()).isEqualTo(FaultKind.CONNECTION_RESET);
                    assertThat(e.getCause()).isInstanceOf(SocketException.class);
                    assertThat(e.getMessage()).startsWith("[payments] RESILIENCE/retries-exhausted (3 attempts, last NETWORK/connection-reset");
                });
        assertThat(calls).hasValue(3);
    }

    @Test
    void retryLogLineSaysWhatFailedWhereAndWhatComesNext() {
        Pipeline p = pipeline(retry(2)).deadline(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(RetriesExhaustedException.class);
        assertThat(events.lines().get(0)).isEqualTo(
                "INFO [payments] attempt 1/2 failed: NETWORK/connection-reset (Connection reset) after 0us; retrying in 100ms (deadline left 5.00s)");
        assertThat(events.types()).containsExactly("retry.attempt-failed", "retry.gave-up");
    }

    @Test
    void nonIdempotentCallWithoutKeyIsAttemptedOnce() {
        Pipeline p = pipeline(retry(5)).build();
        CallContext insert = CallContext.nonIdempotent("payments", null);
        assertThatThrownBy(() -> p.execute(insert, this::failWithReset))
                .isInstanceOf(StrataException.class)
                .hasCauseInstanceOf(SocketException.class)
                .satisfies(e -> assertThat(((StrataException) e).kind()).isEqualTo(FaultKind.CONNECTION_RESET));
        assertThat(calls).hasValue(1);
        assertThat(events.lines().get(0)).endsWith("not retried: non-idempotent call without an idempotency key");
    }

    @Test
    void nonIdempotentCallWithKeyIsRetried() {
        Pipeline p = pipeline(retry(3)).build();
        assertThatThrownBy(() -> p.execute(CallContext.nonIdempotent("payments", "order-42"), this::failWithReset))
                .isInstanceOf(RetriesExhaustedException.class);
        assertThat(calls).hasValue(3);
    }

    @Test
    void neverStartsABackoffThatWouldEndPastTheDeadline() {
        Pipeline p = pipeline(retry(4)).deadline(Duration.ofMillis(1000)).build();
        assertThatThrownBy(() -> p.execute(() -> {
            clock.manual.advance(Duration.ofMillis(150)); // each attempt takes 150 ms
            return failWithReset();
        })).isInstanceOfSatisfying(DeadlineExceededException.class, e -> {
            assertThat(e.getMessage()).contains("backoff 400ms would end past the deadline (250ms left)");
            assertThat(e.getCause()).isInstanceOf(SocketException.class);
        });
        // 150 + 100 + 150 + 200 + 150 = 750 ms used; a 400 ms backoff would cross the 1 s deadline
        assertThat(clock.sleeps).containsExactly(100 * MS, 200 * MS);
        assertThat(calls).hasValue(3);
    }

    @Test
    void honoursTheRetryAfterHintOfTheDependency() {
        Pipeline p = pipeline(retry(2)).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw new HttpStatusException(429, Duration.ofSeconds(3), "slow down");
        })).isInstanceOf(RetriesExhaustedException.class);
        assertThat(clock.sleeps).containsExactly(3_000 * MS);
    }

    @Test
    void stopsWhenTheMaxDurationWouldPass() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(10).maxDuration(Duration.ofMillis(500))
                .backoff(Backoff.fixed(Duration.ofMillis(200))).jitter(Jitter.NONE).build()).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .isInstanceOf(RetriesExhaustedException.class)
                .hasMessageContaining("max duration 500ms");
        assertThat(calls).hasValue(3); // starts at 0, 200, 400; the next would begin at 600
    }

    @Test
    void retriesOnAMatchingResultAndReturnsTheLastOneWhenAttemptsRunOut() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(3).retryOnResult(r -> r == null)
                .backoff(Backoff.fixed(Duration.ofMillis(10))).build()).build();
        assertThat(p.<String>execute(() -> calls.incrementAndGet() < 2 ? null : "ready")).isEqualTo("ready");
        assertThat(calls).hasValue(2);
        calls.set(0);
        assertThat(p.<String>execute(() -> {
            calls.incrementAndGet();
            return null;
        })).isNull();
        assertThat(calls).hasValue(3);
    }

    @Test
    void attemptsAndBackoffsAreRecordedInTheCallTrace() {
        Pipeline p = pipeline(retry(3)).build();
        CallContext ctx = CallContext.idempotent("payments");
        String result = p.execute(ctx, () -> {
            assertThat(CallContext.current()).isSameAs(ctx);
            return ctx.attempt() < 3 ? failWithReset() : "ok";
        });
        assertThat(result).isEqualTo("ok");
        assertThat(ctx.trace().spans()).extracting(LayerTrace.Span::phase, LayerTrace.Span::outcome).containsExactly(
                org.assertj.core.groups.Tuple.tuple("attempt", "NETWORK/connection-reset (Connection reset)"),
                org.assertj.core.groups.Tuple.tuple("backoff", "ok"),
                org.assertj.core.groups.Tuple.tuple("attempt", "NETWORK/connection-reset (Connection reset)"),
                org.assertj.core.groups.Tuple.tuple("backoff", "ok"),
                org.assertj.core.groups.Tuple.tuple("attempt", "ok"));
        assertThat(ctx.trace().spans().get(1).durationNanos()).isEqualTo(100 * MS);
    }

    @Test
    void checkedApplicationFailureIsWrappedWithItsFault() {
        Pipeline p = pipeline(retry(3)).build();
        Exception own = new Exception("ours");
        assertThatThrownBy(() -> p.execute(() -> {
            throw own;
        })).isInstanceOfSatisfying(StrataException.class, e -> {
            assertThat(e.kind()).isEqualTo(FaultKind.UNCLASSIFIED);
            assertThat(e.getCause()).isSameAs(own);
        });
    }

    @Test
    void aCallThatSucceedsAfterRetriesIsReportedWithARetrySucceededEvent() {
        Pipeline p = pipeline(retry(3)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(p.<String>execute(() -> attempts.incrementAndGet() < 2 ? failWithReset() : "ok")).isEqualTo("ok");
        assertThat(events.seen).filteredOn(e -> e.type().equals("retry.succeeded")).singleElement()
                .satisfies(e -> assertThat(e.logLine()).isEqualTo("INFO [payments] attempt 2/3 succeeded after 1 retry"));
        events.seen.clear();
        assertThat(p.<String>execute(() -> "first time")).isEqualTo("first time");
        assertThat(events.types()).as("a first-attempt success is no retry news").doesNotContain("retry.succeeded");
    }

    /** An exception of the caller's own that the classifier can only call unclassified. */
    private static final class Throttled extends RuntimeException {
        Throttled() {
            super("throttled by the upstream gateway");
        }
    }

    @Test
    void retryOnExceptionOptsInAnUnclassifiedExceptionOfYourOwn() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10)))
                .retryOnException(e -> e instanceof Throttled).build()).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw new Throttled();
        })).isInstanceOf(RetriesExhaustedException.class).hasCauseInstanceOf(Throttled.class);
        assertThat(calls).hasValue(3);
        calls.set(0);
        Pipeline byDefault = pipeline(retry(3)).build();
        assertThatThrownBy(() -> byDefault.execute(() -> {
            calls.incrementAndGet();
            throw new Throttled();
        })).isInstanceOf(Throttled.class);
        assertThat(calls).as("without the predicate an unclassified failure is not retried").hasValue(1);
    }

    @Test
    void retryOnExceptionNarrowsWhatTheTaxonomyWouldRetry() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(3).retryOnException(e -> e instanceof java.net.ConnectException)
                .build()).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset)).hasCauseInstanceOf(SocketException.class);
        assertThat(calls).as("a reset is retryable by kind, but the predicate rejects it").hasValue(1);
    }

    @Test
    void retryOnExceptionNeverOptsInAClientError() {
        Pipeline p = pipeline(Retry.builder().maxAttempts(3).retryOnException(e -> true).build()).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw new HttpStatusException(404);
        })).isInstanceOf(HttpStatusException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void retryOnExceptionAndRetryOnCannotBeCombined() {
        assertThatThrownBy(() -> Retry.builder().retryOn(fault -> true).retryOnException(e -> true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryOnException").hasMessageContaining("retryOn;");
    }
}
