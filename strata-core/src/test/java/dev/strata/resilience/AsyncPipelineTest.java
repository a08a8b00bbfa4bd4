package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The asynchronous path: same policies, same order, no thread blocked. Real timer, short delays. */
class AsyncPipelineTest {

    private final Events events = new Events();
    private final AtomicInteger calls = new AtomicInteger();

    private static Retry retry(int attempts) {
        return Retry.builder().maxAttempts(attempts).backoff(Backoff.fixed(Duration.ofMillis(5))).build();
    }

    private CompletableFuture<String> failing() {
        calls.incrementAndGet();
        return CompletableFuture.failedFuture(new SocketException("Connection reset"));
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    @Test
    void retriesUntilSuccess() throws Exception {
        Pipeline p = Pipeline.builder("payments").retry(retry(4)).events(events.bus).build();
        String result = await(p.executeAsync(() -> calls.get() < 2 ? failing() : CompletableFuture.completedFuture("ok")));
        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(2);
    }

    @Test
    void finalFailureAfterMaxRetriesAndOneBreakerOutcomePerLogicalCall() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(5).events(events.bus).build();
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).events(events.bus).build();
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> await(p.executeAsync(this::failing)))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RetriesExhaustedException.class);
        }
        assertThat(calls).hasValue(6);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isEqualTo(2);
    }

    @Test
    void anAsyncRetryLoopDoesNotContinueOnceTheBreakerLeftClosed() throws Exception {
        dev.strata.call.ManualClock breakerClock = new dev.strata.call.ManualClock();
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(1).openWait(Duration.ofSeconds(30)).clock(breakerClock).events(events.bus).build();
        // A long backoff, so only the breaker check can end the call within the test's wait.
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMinutes(10))).build())
                .events(events.bus).build();
        CompletableFuture<String> call = p.executeAsync(this::failing); // fails at once, now backing off

        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(1_000_000L, dev.strata.fault.Fault.of(FaultKind.CONNECTION_RESET)); // another caller opens it
        breakerClock.advance(Duration.ofSeconds(31)); // and its open wait elapses: a probe is due

        assertThatThrownBy(() -> await(call)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(CallNotPermittedException.class,
                        e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(SocketException.class));
        assertThat(calls).hasValue(1);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void clientErrorAndNonIdempotentCallsAreAttemptedOnce() {
        Pipeline p = Pipeline.builder("payments").retry(retry(5)).events(events.bus).build();
        assertThatThrownBy(() -> await(p.executeAsync(() -> {
            calls.incrementAndGet();
            return CompletableFuture.failedFuture(new HttpStatusException(404));
        }))).hasCauseInstanceOf(HttpStatusException.class);
        assertThat(calls).hasValue(1);
        calls.set(0);
        assertThatThrownBy(() -> await(p.executeAsync(CallContext.nonIdempotent("payments", null), this::failing)))
                .hasCauseInstanceOf(dev.strata.fault.StrataException.class).hasRootCauseInstanceOf(SocketException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void timedOutAttemptsAreCancelledAndRetried() {
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofMillis(30)).retry(retry(3)).events(events.bus).build();
        CompletableFuture<?>[] attempts = new CompletableFuture<?>[3];
        assertThatThrownBy(() -> await(p.executeAsync(() -> {
            CompletableFuture<String> never = new CompletableFuture<>();
            attempts[calls.getAndIncrement()] = never;
            return never;
        }))).hasCauseInstanceOf(RetriesExhaustedException.class);
        assertThat(calls).hasValue(3);
        assertThat(attempts).allSatisfy(a -> assertThat(a).isCancelled());
    }

    @Test
    void fullBulkheadRejectsAndTheFallbackKnowsWhy() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(1).build();
        TypedPipeline<String> p = Pipeline.builder("payments").bulkhead(bulkhead).events(events.bus)
                .fallback(Fallback.on(FaultKind.BULKHEAD_FULL, cause -> "busy")).build();
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> running = p.executeAsync(() -> first);
        assertThat(await(p.executeAsync(() -> CompletableFuture.completedFuture("second")))).isEqualTo("busy");
        first.complete("first");
        assertThat(await(running)).isEqualTo("first");
        assertThat(bulkhead.inUse()).isZero();
    }

    @Test
    void anOpenBreakerFailsFastWithoutCallingTheDependency() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").events(events.bus).build();
        breaker.forceOpen();
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).events(events.bus).build();
        assertThatThrownBy(() -> await(p.executeAsync(this::failing))).hasCauseInstanceOf(CallNotPermittedException.class);
        assertThat(calls).hasValue(0);
    }

    @Test
    void cancellingTheCallCancelsTheAttemptInFlightAndFreesTheSlot() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(1).build();
        Pipeline p = Pipeline.builder("payments").bulkhead(bulkhead).events(events.bus).build();
        CompletableFuture<String> never = new CompletableFuture<>();
        CompletableFuture<String> call = p.executeAsync(() -> never);
        call.cancel(true);
        assertThat(never).isCancelled();
        assertThat(bulkhead.inUse()).isZero();
    }

    @Test
    void cancellingDuringABackoffFreesTheSlotAndThePermit() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(1).build();
        CircuitBreaker breaker = CircuitBreaker.builder("payments").events(events.bus).build();
        Pipeline p = Pipeline.builder("payments").bulkhead(bulkhead).circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofSeconds(30))).jitter(Jitter.NONE).build())
                .events(events.bus).build();
        CompletableFuture<String> call = p.executeAsync(this::failing);
        assertThat(calls).hasValue(1); // now sleeping its 30 s backoff on the timer
        call.cancel(true);
        assertThat(bulkhead.inUse()).isZero();
        assertThat(breaker.metrics().failedCalls()).isZero();
        Thread.sleep(100);
        assertThat(calls).as("no attempt after cancellation").hasValue(1);
    }

    @Test
    void theSameBreakerUsedInsideAnAsyncCallIsRefusedBecauseItWouldCountAttempts() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(5).events(events.bus).build();
        Pipeline outer = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).events(events.bus).build();
        Pipeline inner = Pipeline.builder("payments-inner").circuitBreaker(breaker).events(events.bus).build();

        // async inside async: the inner call starts while the outer attempt's stage is being created
        assertThatThrownBy(() -> await(outer.<String>executeAsync(() -> inner.executeAsync(() -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture("x");
        })))).isInstanceOf(ExecutionException.class).cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would count attempts instead of calls");

        // async inside a sync attempt
        assertThatThrownBy(() -> outer.execute(() -> await(inner.executeAsync(() -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture("x");
        })))).hasRootCauseInstanceOf(IllegalStateException.class)
                .hasStackTraceContaining("would count attempts instead of calls");

        assertThat(calls).as("the dependency was never called through the re-used breaker").hasValue(0);
        // A different breaker inside is fine, and the same one on its own afterwards too.
        Pipeline other = Pipeline.builder("ledger").circuitBreaker(CircuitBreaker.builder("ledger").events(events.bus).build())
                .events(events.bus).build();
        assertThat(await(outer.<String>executeAsync(() -> other.executeAsync(() -> CompletableFuture.completedFuture("nested")))))
                .isEqualTo("nested");
        assertThat(await(inner.<String>executeAsync(() -> CompletableFuture.completedFuture("alone")))).isEqualTo("alone");
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    private static final String TIMER_THREAD = "strata-timer";

    @Test
    void asyncSuppliersAndDependentCallbacksNeverRunOnTheTimerThread() throws Exception {
        Set<String> supplierThreads = ConcurrentHashMap.newKeySet();
        Set<String> callbackThreads = ConcurrentHashMap.newKeySet();
        // attempt 1 fails at once (a backoff follows), attempt 2 never answers (its timeout fires), attempt 3 succeeds
        Pipeline retrying = Pipeline.builder("payments").retry(retry(3)).timeout(Duration.ofMillis(50)).events(events.bus).build();
        String result = await(retrying.<String>executeAsync(() -> {
            supplierThreads.add(Thread.currentThread().getName());
            return switch (calls.incrementAndGet()) {
                case 1 -> CompletableFuture.failedFuture(new SocketException("Connection reset"));
                case 2 -> new CompletableFuture<>();
                default -> CompletableFuture.completedFuture("ok");
            };
        }).thenApply(value -> {
            callbackThreads.add(Thread.currentThread().getName());
            return value;
        }));
        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(3);

        // a timeout that fires completes the caller's future: its callbacks must not run on the timer
        Pipeline timing = Pipeline.builder("ledger").timeout(Duration.ofMillis(50)).events(events.bus).build();
        assertThatThrownBy(() -> await(timing.<String>executeAsync(CompletableFuture::new).whenComplete((v, f) ->
                callbackThreads.add(Thread.currentThread().getName())))).hasCauseInstanceOf(AttemptTimeoutException.class);

        // a hedge started by the timer calls the supplier
        Pipeline hedging = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(10), 1)).events(events.bus).build();
        AtomicInteger hedgeCalls = new AtomicInteger();
        assertThat(await(hedging.<String>executeAsync(() -> {
            supplierThreads.add(Thread.currentThread().getName());
            return hedgeCalls.incrementAndGet() == 1 ? new CompletableFuture<>() : CompletableFuture.completedFuture("hedge");
        }))).isEqualTo("hedge");

        assertThat(supplierThreads).isNotEmpty().doesNotContain(TIMER_THREAD);
        assertThat(callbackThreads).hasSize(2).doesNotContain(TIMER_THREAD);
    }

    @Test
    void aSlowSupplierDoesNotDelayAnotherPipelinesTimeout() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Pipeline slow = Pipeline.builder("reports").retry(retry(2)).events(events.bus).build();
        CompletableFuture<String> slowCall = slow.executeAsync(() -> {
            if (calls.incrementAndGet() == 1) {
                return failing(); // the retry's backoff then calls this supplier again from a timer task
            }
            slowStarted.countDown();
            try {
                release.await(20, TimeUnit.SECONDS); // a supplier that blocks before returning its stage
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.completedFuture("slow");
        });
        try {
            assertThat(slowStarted.await(20, TimeUnit.SECONDS)).isTrue();
            Pipeline fast = Pipeline.builder("ledger").timeout(Duration.ofMillis(100)).events(events.bus).build();
            long start = System.nanoTime();
            assertThatThrownBy(() -> await(fast.<String>executeAsync(CompletableFuture::new)))
                    .hasCauseInstanceOf(AttemptTimeoutException.class);
            assertThat(System.nanoTime() - start).as("the 100 ms timeout fired while the slow supplier blocked")
                    .isLessThan(TimeUnit.SECONDS.toNanos(5));
        } finally {
            release.countDown();
        }
        assertThat(await(slowCall)).isEqualTo("slow");
    }

    @Test
    void anAsyncCallThatSucceedsAfterRetriesIsReportedWithARetrySucceededEvent() throws Exception {
        Pipeline p = Pipeline.builder("payments").retry(retry(4)).events(events.bus).build();
        assertThat(await(p.executeAsync(() -> calls.get() < 2 ? failing() : CompletableFuture.completedFuture("ok"))))
                .isEqualTo("ok");
        assertThat(events.seen).filteredOn(e -> e.type().equals("retry.succeeded")).singleElement()
                .satisfies(e -> assertThat(e.logLine()).isEqualTo("INFO [payments] attempt 3/4 succeeded after 2 retries"));
    }

    @Test
    void anAsyncTimeoutThatFiresIsReportedWithAttemptAndBound() {
        Pipeline p = Pipeline.builder("ledger").timeout(Duration.ofMillis(50)).events(events.bus).build();
        assertThatThrownBy(() -> await(p.executeAsync(CompletableFuture::new)))
                .hasCauseInstanceOf(AttemptTimeoutException.class);
        assertThat(events.seen).filteredOn(e -> e.type().equals("timeout.fired")).singleElement()
                .satisfies(e -> assertThat(e.logLine()).isEqualTo("INFO [ledger] attempt 1/1 timed out after its 50ms timeout; interrupted"));
    }
}
