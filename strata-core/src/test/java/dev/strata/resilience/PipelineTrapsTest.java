package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The cross-layer traps the seeds warn about, each proved against the real policies. */
class PipelineTrapsTest {

    private static final long MS = 1_000_000L;

    private final TestClock clock = new TestClock();
    private final Events events = new Events();
    private final AtomicInteger calls = new AtomicInteger();

    private CircuitBreaker breaker(int consecutiveFailures) {
        return CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(consecutiveFailures).openWait(Duration.ofSeconds(30)).clock(clock).events(events.bus).build();
    }

    private static Retry retry(int attempts) {
        return Retry.builder().maxAttempts(attempts).backoff(Backoff.fixed(Duration.ofMillis(100))).jitter(Jitter.NONE).build();
    }

    private String failWithReset() throws IOException {
        calls.incrementAndGet();
        throw new SocketException("Connection reset");
    }

    @Test
    void twoLogicalCallsOfThreeFailingAttemptsDoNotOpenABreakerWithThresholdFive() {
        CircuitBreaker breaker = breaker(5);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).clock(clock).events(events.bus).build();
        for (int call = 0; call < 2; call++) {
            assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(RetriesExhaustedException.class);
        }
        assertThat(calls).hasValue(6); // six failed attempts...
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED); // ...but two failed calls
        assertThat(breaker.metrics().consecutiveFailures()).isEqualTo(2);
    }

    @Test
    void fiveFailedLogicalCallsDoOpenIt() {
        CircuitBreaker breaker = breaker(5);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).clock(clock).events(events.bus).build();
        for (int call = 0; call < 5; call++) {
            assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(RetriesExhaustedException.class);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        calls.set(0);
        assertThatThrownBy(() -> p.execute(this::failWithReset)).isInstanceOf(CallNotPermittedException.class);
        assertThat(calls).as("fails fast: the dependency is not called").hasValue(0);
    }

    @Test
    void slowDependencyWithTwoSecondTimeoutThreeAttemptsAndFiveSecondDeadlineReturnsWithinFiveSeconds() {
        Pipeline p = Pipeline.builder("payments").deadline(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(2))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(100))).build())
                .events(events.bus).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            Thread.sleep(60_000); // a dependency that never answers in time
            return "late";
        })).isInstanceOf(DeadlineExceededException.class);
        long took = System.nanoTime() - start;
        assertThat(took).as("returned within the 5 s deadline plus scheduling tolerance")
                .isLessThan(5_000 * MS + 1_500 * MS).isGreaterThanOrEqualTo(4_000 * MS);
        assertThat(calls).hasValue(3); // 2 s + 2 s + the 3rd attempt cut by the deadline
    }

    @Test
    void fourHundredClassFaultIsAttemptedOnce() {
        Pipeline p = Pipeline.builder("payments").retry(retry(5)).circuitBreaker(breaker(5)).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            calls.incrementAndGet();
            throw new HttpStatusException(400);
        })).isInstanceOf(HttpStatusException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void nonIdempotentCallWithoutKeyIsAttemptedOnceEvenWithRetriesConfigured() {
        Pipeline p = Pipeline.builder("payments").retry(retry(5)).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(CallContext.nonIdempotent("payments", null), this::failWithReset))
                .hasCauseInstanceOf(SocketException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void anOpenedBreakerStopsARetryLoopThatIsMidBackoff() {
        CircuitBreaker breaker = breaker(5);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(5).backoff(Backoff.fixed(Duration.ofSeconds(10))).jitter(Jitter.NONE).build())
                .clock(clock).events(events.bus).build();
        // Another caller's failures open the breaker while this call sleeps its first backoff.
        clock.onSleep = () -> {
            if (clock.sleeps.size() == 3) {
                breaker.forceOpen();
            }
        };
        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .isInstanceOfSatisfying(CallNotPermittedException.class,
                        e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(SocketException.class));
        assertThat(calls).hasValue(1);
        assertThat(clock.sleptNanos()).as("woke up early, not after the full 10 s").isEqualTo(3 * Pipeline.BREAKER_POLL_NANOS);
        assertThat(events.lines()).anyMatch(l -> l.contains("giving up: the circuit breaker opened"));
    }

    @Test
    void aRetryLoopDoesNotContinueOnceTheBreakerLeftClosed() {
        CircuitBreaker breaker = breaker(5);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker)
                .retry(Retry.builder().maxAttempts(5).backoff(Backoff.fixed(Duration.ofSeconds(10))).jitter(Jitter.NONE).build())
                .clock(clock).events(events.bus).build();
        // During this call's first backoff, other callers open the breaker and its 30 s open wait
        // elapses: a probe is due, but this call was admitted while CLOSED and is not that probe.
        clock.onSleep = () -> {
            if (clock.sleeps.size() == 1) {
                for (int other = 0; other < 5; other++) {
                    assertThat(breaker.tryAcquirePermission()).isTrue();
                    breaker.onFailure(MS, Fault.of(FaultKind.CONNECTION_RESET));
                }
                clock.manual.advance(Duration.ofSeconds(31));
            }
        };

        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .isInstanceOfSatisfying(CallNotPermittedException.class,
                        e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(SocketException.class));

        assertThat(calls).as("no attempt after the breaker opened").hasValue(1);
        assertThat(breaker.state()).as("this call neither probed nor decided anything").isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.remainingOpenNanos()).isZero();
        calls.set(0);
        assertThat(p.execute(() -> {
            calls.incrementAndGet();
            return "recovered";
        })).as("the next caller is the probe").isEqualTo("recovered");
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aHalfOpenProbeGetsOneAttemptAndItsFailureReopensTheBreaker() {
        CircuitBreaker breaker = breaker(1);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(5)).clock(clock).events(events.bus).build();
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(MS, Fault.of(FaultKind.CONNECTION_RESET)); // another call opened it
        clock.manual.advance(Duration.ofSeconds(30));

        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .as("the probe's own failure, not a refusal")
                .isNotInstanceOf(CallNotPermittedException.class).hasCauseInstanceOf(SocketException.class);

        assertThat(calls).hasValue(1);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(events.lines()).anyMatch(l -> l.contains("giving up: a half-open probe gets one attempt"));
    }

    @Test
    void retryAsksTheBreakerBeforeEachNewAttempt() {
        CircuitBreaker breaker = breaker(5);
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(5)).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            breaker.forceOpen(); // opened by someone else while the attempt ran
            return failWithReset();
        })).isInstanceOf(CallNotPermittedException.class);
        assertThat(calls).hasValue(1);
        assertThat(clock.sleeps).isEmpty();
    }

    @Test
    void policiesNestInTheCanonicalOrderWhateverTheBuilderOrder() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(1).build();
        CircuitBreaker breaker = breaker(1);
        List<String> reasons = new CopyOnWriteArrayList<>();
        // Builder called inside out; the nesting must still be Fallback > Bulkhead > Deadline > Breaker > Retry.
        TypedPipeline<String> p = Pipeline.builder("payments").retry(retry(2)).circuitBreaker(breaker).deadline(Duration.ofSeconds(10))
                .bulkhead(bulkhead).fallback(Fallback.always(cause -> {
                    reasons.add(cause.reason().code());
                    return "fallback";
                })).clock(clock).events(events.bus).build();
        // Bulkhead outside the breaker: a rejected call is not counted by the breaker.
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThat(p.execute(this::failWithReset)).isEqualTo("fallback");
        bulkhead.release();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        // Deadline inside the bulkhead and around the attempts: nested code sees it.
        assertThat(p.pipeline().<Duration>execute(() -> Deadline.current().remaining())).isEqualTo(Duration.ofSeconds(10));
        // Retry inside the breaker: one logical call of 2 attempts = one failure, which opens a threshold-1 breaker.
        assertThat(p.execute(this::failWithReset)).isEqualTo("fallback");
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(p.execute(this::failWithReset)).isEqualTo("fallback");
        assertThat(reasons).containsExactly("bulkhead-full", "retries-exhausted", "circuit-open");
        assertThat(bulkhead.inUse()).isZero();
    }

    @Test
    void budgetArithmeticThatCannotFitFailsTheBuildWithTheNumbers() {
        Retry retry = Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(1500))).jitter(Jitter.NONE).build();
        assertThatThrownBy(() -> Pipeline.builder("payments").deadline(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(2))
                .retry(retry).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deadline: 5.00s cannot fit 3 attempts x 2.00s timeout + 3.00s minimum backoff: attempt 3 could start"
                        + " only after 7.00s (2 x 2.00s + 3.00s); allowed: (maxAttempts - 1) x timeout + minimum backoff < deadline");
        // Full jitter can shrink the backoff to zero, and the deadline may cut the last attempt: accepted.
        assertThat(Pipeline.builder("payments").deadline(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(2))
                .retry(Retry.builder().maxAttempts(3).build()).build()).isNotNull();
    }

    @Test
    void theSameBreakerUsedInsideAnAttemptIsRefusedBecauseItWouldCountAttempts() {
        CircuitBreaker breaker = breaker(5);
        Pipeline outer = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).clock(clock).events(events.bus).build();
        Pipeline inner = Pipeline.builder("payments-inner").circuitBreaker(breaker).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> outer.execute(() -> inner.execute(() -> "x")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would count attempts instead of calls");
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        // A different breaker inside is fine (a nested dependency), and so is the same one afterwards.
        Pipeline other = Pipeline.builder("ledger").circuitBreaker(breaker(5)).clock(clock).events(events.bus).build();
        assertThat(outer.<String>execute(() -> other.execute(() -> "nested"))).isEqualTo("nested");
        assertThat(inner.<String>execute(() -> "alone")).isEqualTo("alone");
    }

    @Test
    void retryBudgetStopsRetriesWhenSpent() {
        RetryBudget budget = RetryBudget.builder().retryPercent(0.0).minRetriesPerSecond(0).clock(clock).events(events.bus).build();
        Pipeline p = Pipeline.builder("payments").retry(retry(5)).retryBudget(budget).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(this::failWithReset))
                .isInstanceOfSatisfying(RetryBudgetExhaustedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FaultKind.RETRY_BUDGET_EXHAUSTED);
                    assertThat(e.lastFault().kind()).isEqualTo(FaultKind.CONNECTION_RESET);
                    assertThat(e.attempts()).isEqualTo(1);
                })
                .hasCauseInstanceOf(SocketException.class);
        assertThat(calls).hasValue(1);
        assertThat(events.types()).contains("retry-budget.exhausted", "retry.gave-up");
    }

    @Test
    void aResourceAcquiredInsideTheAttemptIsReleasedBeforeEveryBackoff() {
        java.util.concurrent.Semaphore connections = new java.util.concurrent.Semaphore(1);
        List<Integer> freeDuringBackoff = new CopyOnWriteArrayList<>();
        clock.onSleep = () -> freeDuringBackoff.add(connections.availablePermits());
        Pipeline p = Pipeline.builder("payments").retry(retry(3)).clock(clock).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            if (!connections.tryAcquire()) {
                throw new IllegalStateException("connection still held by the previous attempt");
            }
            try {
                return failWithReset();
            } finally {
                connections.release();
            }
        })).isInstanceOf(RetriesExhaustedException.class);
        assertThat(calls).hasValue(3);
        assertThat(freeDuringBackoff).containsExactly(1, 1);
    }

    @Test
    void theBreakerGetsTheLogicalCallsDurationWhenItDetectsSlowCalls() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(4).minimumCalls(4)
                .slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(0.5).clock(clock).events(events.bus).build();
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(retry(3)).clock(clock).events(events.bus).build();
        for (int i = 0; i < 4; i++) {
            assertThat(p.execute(() -> {
                clock.manual.advance(Duration.ofMillis(1500)); // answers, but slowly
                return "slow";
            })).isEqualTo("slow");
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }
}
