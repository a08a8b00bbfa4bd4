package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 3: whatever user code throws inside the async pipeline's callbacks, the returned
 * future completes (exactly once), the bulkhead slot comes back and a half-open probe permit is
 * not leaked. One test per kind of callback.
 */
class AsyncCallbackFailureTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    private final Events events = new Events();
    private final ManualClock breakerClock = new ManualClock();
    private final Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(1).build();
    private final CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
            .failureThreshold(1).openWait(Duration.ofSeconds(1)).clock(breakerClock).events(events.bus).build();

    /** Opens the breaker and lets its wait pass, so the next call is the half-open probe. */
    private void probeIsDue() {
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        breakerClock.advance(Duration.ofSeconds(2));
    }

    private Pipeline.Builder pipeline() {
        return Pipeline.builder("payments").bulkhead(bulkhead).circuitBreaker(breaker).events(events.bus);
    }

    private static Retry.Builder retry() {
        return Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(1)));
    }

    private static CompletableFuture<String> reset() {
        return CompletableFuture.failedFuture(new SocketException("Connection reset"));
    }

    /** The call completed with {@code expected} (possibly wrapped), the slot is back, the probe permit is not held. */
    private void completedAndReleased(CompletableFuture<String> call, Class<? extends Throwable> expected) {
        assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                .as("the future completes instead of hanging").isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(expected);
        assertThat(bulkhead.available()).as("bulkhead slot released").isEqualTo(1);
        assertThat(breaker.state() != CircuitBreaker.State.HALF_OPEN || breaker.isCallPermittedNow())
                .as("half-open probe permit released (state %s)", breaker.state()).isTrue();
    }

    private static final class Boom extends RuntimeException {
        Boom(String where) {
            super("user callback failed: " + where);
        }
    }

    @Test
    void asyncRetryOnResultPredicateThrowingCompletesTheCall() {
        probeIsDue();
        Pipeline p = pipeline().retry(retry().retryOnResult(result -> {
            throw new Boom("retryOnResult");
        }).build()).build();
        completedAndReleased(p.executeAsync(() -> CompletableFuture.completedFuture("ok")), Boom.class);
    }

    @Test
    void asyncRetryOnFaultPredicateThrowingCompletesTheCall() {
        probeIsDue();
        Pipeline p = pipeline().retry(retry().retryOn(fault -> {
            throw new Boom("retryOn");
        }).build()).build();
        completedAndReleased(p.executeAsync(AsyncCallbackFailureTest::reset), Boom.class);
    }

    @Test
    void asyncRetryOnExceptionPredicateThrowingCompletesTheCall() {
        probeIsDue();
        Pipeline p = pipeline().retry(retry().retryOnException(failure -> {
            throw new Boom("retryOnException");
        }).build()).build();
        completedAndReleased(p.executeAsync(AsyncCallbackFailureTest::reset), Boom.class);
    }

    @Test
    void asyncCustomClassifierThrowingCompletesTheCall() {
        probeIsDue();
        FaultClassifier throwing = failure -> {
            throw new Boom("classifier");
        };
        Pipeline p = pipeline().retry(retry().build()).classifier(throwing).build();
        completedAndReleased(p.executeAsync(AsyncCallbackFailureTest::reset), Boom.class);
    }

    @Test
    void asyncRecordFaultPredicateThrowingCompletesTheCallAndFreesTheProbe() {
        CircuitBreaker picky = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(1).openWait(Duration.ofSeconds(1)).clock(breakerClock).events(events.bus)
                .recordFault(fault -> {
                    if (fault.kind() == FaultKind.SERVER_ERROR) {
                        throw new Boom("recordFault");
                    }
                    return true;
                }).build();
        assertThat(picky.tryAcquirePermission()).isTrue();
        picky.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
        breakerClock.advance(Duration.ofSeconds(2));
        Pipeline p = Pipeline.builder("payments").bulkhead(bulkhead).circuitBreaker(picky).events(events.bus).build();
        CompletableFuture<String> call = p.executeAsync(() -> CompletableFuture.failedFuture(new HttpStatusException(503)));
        assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(bulkhead.available()).isEqualTo(1);
        assertThat(picky.state() != CircuitBreaker.State.HALF_OPEN || picky.isCallPermittedNow())
                .as("probe permit released (state %s)", picky.state()).isTrue();
    }

    @Test
    void asyncNextDelayOverflowingCompletesTheCall() {
        // Retry-After: 99999999999 seconds: the delay computation itself must not leave the call hanging
        probeIsDue();
        Pipeline p = pipeline().retry(retry().build()).build();
        CompletableFuture<String> call = p.executeAsync(() -> CompletableFuture.failedFuture(
                new HttpStatusException(503, Duration.ofSeconds(99_999_999_999L), "busy")));
        assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(bulkhead.available()).isEqualTo(1);
        assertThat(breaker.state() != CircuitBreaker.State.HALF_OPEN || breaker.isCallPermittedNow()).isTrue();
    }

    @Test
    void asyncSupplierThrowingCompletesTheCall() {
        probeIsDue();
        Pipeline p = pipeline().retry(retry().build()).build();
        Supplier<CompletableFuture<String>> throwing = () -> {
            throw new Boom("supplier");
        };
        completedAndReleased(p.executeAsync(throwing), Boom.class);
    }

    @Test
    void asyncInterceptorThrowingCompletesTheCall() {
        probeIsDue();
        Pipeline p = pipeline().interceptor(new dev.strata.call.Interceptor() {
            @Override
            public <T> T intercept(dev.strata.call.CallContext context, java.util.concurrent.Callable<T> next) {
                throw new Boom("interceptor");
            }
        }).build();
        completedAndReleased(p.executeAsync(() -> CompletableFuture.completedFuture("ok")), Boom.class);
    }

    @Test
    void asyncFallbackThrowingCompletesTheCall() {
        probeIsDue();
        TypedPipeline<String> p = pipeline().fallback(Fallback.<String>always(cause -> {
            throw new Boom("fallback");
        })).build();
        CompletableFuture<String> call = p.executeAsync(AsyncCallbackFailureTest::reset);
        assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(bulkhead.available()).isEqualTo(1);
        assertThat(breaker.state() != CircuitBreaker.State.HALF_OPEN || breaker.isCallPermittedNow()).isTrue();
    }

    @Test
    void asyncHedgeClassifierThrowingCompletesTheCall() {
        probeIsDue();
        FaultClassifier throwing = failure -> {
            throw new Boom("classifier in hedge");
        };
        Pipeline p = pipeline().hedge(Hedge.of(Duration.ofMillis(50), 1)).classifier(throwing).build();
        completedAndReleased(p.executeAsync(AsyncCallbackFailureTest::reset), Boom.class);
    }

    @Test
    void asyncCallbacksOnTheResultRunExactlyOnce() throws Exception {
        probeIsDue();
        AtomicInteger completions = new AtomicInteger();
        Pipeline p = pipeline().retry(retry().retryOnResult(result -> {
            throw new Boom("retryOnResult");
        }).build()).build();
        CompletableFuture<String> call = p.executeAsync(() -> CompletableFuture.completedFuture("ok"));
        CompletableFuture<Void> counted = call.handle((v, f) -> {
            completions.incrementAndGet();
            return null;
        });
        counted.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(completions).hasValue(1);
        assertThat(call.isCompletedExceptionally()).isTrue();
    }

    @Test
    void syncCustomClassifierThrowingReleasesTheSlotAndTheProbePermit() {
        probeIsDue();
        FaultClassifier throwing = failure -> {
            throw new Boom("classifier");
        };
        Pipeline p = pipeline().retry(retry().build()).classifier(throwing).build();
        assertThatThrownBy(() -> p.execute(() -> {
            throw new SocketException("Connection reset");
        })).isInstanceOf(Boom.class);
        assertThat(bulkhead.available()).isEqualTo(1);
        assertThat(breaker.state() != CircuitBreaker.State.HALF_OPEN || breaker.isCallPermittedNow())
                .as("probe permit released (state %s)", breaker.state()).isTrue();
    }

    @Test
    void syncRecordFaultPredicateThrowingReleasesTheProbePermit() {
        CircuitBreaker picky = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(1).openWait(Duration.ofSeconds(1)).clock(breakerClock).events(events.bus)
                .recordFault(fault -> {
                    if (fault.kind() == FaultKind.SERVER_ERROR) {
                        throw new Boom("recordFault");
                    }
                    return true;
                }).build();
        assertThat(picky.tryAcquirePermission()).isTrue();
        picky.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
        breakerClock.advance(Duration.ofSeconds(2));
        Pipeline p = Pipeline.builder("payments").circuitBreaker(picky).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            throw new HttpStatusException(503);
        })).isInstanceOf(Boom.class);
        assertThat(picky.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(picky.isCallPermittedNow()).as("probe permit released").isTrue();
    }
}
