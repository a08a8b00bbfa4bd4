package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker.Mode;
import dev.strata.resilience.CircuitBreaker.State;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final Fault RESET = Fault.of(FaultKind.CONNECTION_RESET);
    private static final long MS = 1_000_000L;

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    CircuitBreakerTest() {
        bus.subscribe(events::add);
    }

    private CircuitBreaker.Builder consecutive(int threshold) {
        return CircuitBreaker.builder("payments").mode(Mode.CONSECUTIVE_FAILURES).failureThreshold(threshold)
                .openWait(Duration.ofSeconds(30)).clock(clock).events(bus);
    }

    private static void fail(CircuitBreaker breaker, int times) {
        for (int i = 0; i < times; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onFailure(5 * MS, RESET);
        }
    }

    private static void succeed(CircuitBreaker breaker, int times) {
        for (int i = 0; i < times; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onSuccess(5 * MS);
        }
    }

    private List<CircuitBreaker.Transition> transitions() {
        return events.stream().filter(e -> e instanceof CircuitBreaker.Transition)
                .map(e -> (CircuitBreaker.Transition) e).toList();
    }

    // --- seed 001, "what to test" for circuit breakers -----------------------------------------

    @Test
    void opensAfterExactlyNFailures() {
        CircuitBreaker breaker = consecutive(5).build();

        fail(breaker, 4);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isEqualTo(4);

        fail(breaker, 1);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aSuccessInBetweenRestartsTheConsecutiveCount() {
        CircuitBreaker breaker = consecutive(3).build();
        fail(breaker, 2);
        succeed(breaker, 1);
        fail(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        fail(breaker, 1);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void failsFastWhenOpenWithoutCallingTheDependency() {
        CircuitBreaker breaker = consecutive(2).build();
        fail(breaker, 2);
        AtomicInteger dependencyCalls = new AtomicInteger();
        clock.advance(Duration.ofSeconds(18));

        assertThatThrownBy(() -> breaker.execute(dependencyCalls::incrementAndGet))
                .isInstanceOf(CallNotPermittedException.class)
                .satisfies(e -> {
                    CallNotPermittedException refused = (CallNotPermittedException) e;
                    assertThat(refused.kind()).isEqualTo(FaultKind.CIRCUIT_OPEN);
                    assertThat(refused.state()).isEqualTo(State.OPEN);
                    assertThat(refused.dependency()).isEqualTo("payments");
                    assertThat(refused.getMessage()).contains("[payments]", "circuit OPEN", "half-open in 12.0s");
                });
        assertThat(dependencyCalls).hasValue(0);
        assertThat(breaker.metrics().notPermittedCalls()).isEqualTo(1);
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(12).toNanos());
    }

    @Test
    void transitionsToHalfOpenAfterRecoveryTimeout() {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);

        clock.advance(Duration.ofSeconds(30).minusNanos(1));
        assertThat(breaker.tryAcquirePermission()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.OPEN);

        clock.advance(Duration.ofNanos(1));
        assertThat(breaker.remainingOpenNanos()).isZero();
        assertThat(breaker.tryAcquirePermission()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void closesAfterSuccessfulTestRequestInHalfOpen() {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(MS);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
        assertThat(breaker.tryAcquirePermission()).isTrue();
    }

    @Test
    void reopensIfTestRequestFailsInHalfOpen() {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(MS, RESET);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(breaker.tryAcquirePermission()).isFalse();
    }

    // --- half-open details ----------------------------------------------------------------------

    @Test
    void halfOpenWithSeveralPermitsClosesOnlyWhenAllProbesSucceed() {
        CircuitBreaker breaker = consecutive(1).halfOpenPermits(3).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        assertThat(breaker.tryAcquirePermission()).isTrue();
        assertThat(breaker.tryAcquirePermission()).isTrue();
        assertThat(breaker.tryAcquirePermission()).isTrue();
        assertThat(breaker.tryAcquirePermission()).as("a fourth probe").isFalse();

        breaker.onSuccess(MS);
        breaker.onSuccess(MS);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        breaker.onSuccess(MS);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aReleasedProbeLetsAnotherCallerProbe() {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        assertThat(breaker.tryAcquirePermission()).isTrue();
        assertThat(breaker.tryAcquirePermission()).isFalse();
        breaker.releasePermission(); // e.g. the probe was cancelled
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquirePermission()).isTrue();
    }

    @Test
    void aClientErrorProbeReleasesThePermitWithoutDeciding() {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(MS, Fault.of(FaultKind.CLIENT_ERROR, "HTTP 404"));

        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquirePermission()).isTrue();
    }

    @Test
    void aStaleOutcomeWithNoProbeInFlightDoesNotDecideHalfOpen() {
        CircuitBreaker breaker = consecutive(1).build();
        assertThat(breaker.tryAcquirePermission()).isTrue(); // a slow call admitted while CLOSED
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.tryAcquirePermission()).isTrue(); // the probe...
        breaker.releasePermission(); // ...is cancelled: HALF_OPEN with no probe in flight

        breaker.onFailure(MS, RESET); // the slow call from the CLOSED period finally fails

        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(MS);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    // --- outcomes belong to the period that admitted the call ----------------------------------

    @Test
    void lateOutcomeFromClosedPhaseDoesNotDecideTheProbe() {
        CircuitBreaker breaker = consecutive(1).build();
        long slowCall = breaker.tryAcquirePermit(); // admitted while CLOSED, still running
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));
        long probe = breaker.tryAcquirePermit();
        assertThat(probe).isNotEqualTo(CircuitBreaker.NOT_PERMITTED);
        assertThat(breaker.isProbe(probe)).isTrue();
        assertThat(breaker.isProbe(slowCall)).isFalse();

        breaker.onSuccess(slowCall, MS); // the CLOSED-period call finally succeeds during the probe

        assertThat(breaker.state()).as("a late success is not the probe's result").isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquirePermit()).as("the probe is still in flight").isEqualTo(CircuitBreaker.NOT_PERMITTED);

        breaker.onFailure(probe, MS, RESET); // the probe itself decides
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions().getLast().reason()).startsWith("probe failed");
    }

    @Test
    void lateFailureFromClosedPhaseDoesNotReopenADecidingProbe() {
        CircuitBreaker breaker = consecutive(1).build();
        long slowCall = breaker.tryAcquirePermit();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));
        long probe = breaker.tryAcquirePermit();

        breaker.onFailure(slowCall, MS, RESET);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);

        breaker.onSuccess(probe, MS);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void releasingAStalePermitDoesNotFreeTheProbePermit() {
        CircuitBreaker breaker = consecutive(1).build();
        long cancelledLater = breaker.tryAcquirePermit();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.tryAcquirePermit()).isNotEqualTo(CircuitBreaker.NOT_PERMITTED);

        breaker.releasePermission(cancelledLater); // a CLOSED-period call is cancelled during the probe

        assertThat(breaker.tryAcquirePermit()).as("still exactly one probe").isEqualTo(CircuitBreaker.NOT_PERMITTED);
    }

    @Test
    void aLateOutcomeDoesNotCountInALaterClosedPeriod() {
        CircuitBreaker breaker = consecutive(1).build();
        long fromFirstPeriod = breaker.tryAcquirePermit();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));
        long probe = breaker.tryAcquirePermit();
        breaker.onSuccess(probe, MS);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);

        breaker.onFailure(fromFirstPeriod, MS, RESET);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
    }

    @Test
    void permitsAnotherAttemptOnlyWhileInThePeriodThatAdmittedTheCall() {
        CircuitBreaker breaker = consecutive(1).build();
        long call = breaker.tryAcquirePermit();
        assertThat(breaker.permitsAnotherAttempt(call)).isTrue();
        breaker.reset(); // clearing a closed breaker's counters keeps the period
        assertThat(breaker.permitsAnotherAttempt(call)).isTrue();

        fail(breaker, 1);
        assertThat(breaker.permitsAnotherAttempt(call)).isFalse();
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.isCallPermittedNow()).as("a probe is due...").isTrue();
        assertThat(breaker.permitsAnotherAttempt(call)).as("...but this call is not it").isFalse();

        long probe = breaker.tryAcquirePermit();
        assertThat(breaker.permitsAnotherAttempt(probe)).as("a probe gets one attempt").isFalse();
        breaker.onSuccess(probe, MS);
        assertThat(breaker.permitsAnotherAttempt(call)).as("a new CLOSED period").isFalse();
        assertThat(breaker.permitsAnotherAttempt(CircuitBreaker.NOT_PERMITTED)).isFalse();

        breaker.disable();
        assertThat(breaker.permitsAnotherAttempt(breaker.tryAcquirePermit())).isTrue();
    }

    @Test
    void fiftyConcurrentCallersInHalfOpenStillProduceOneProbeWhileLateOutcomesArrive() throws Exception {
        for (int round = 0; round < 10; round++) {
            CircuitBreaker breaker = consecutive(1).build();
            long[] closedPeriod = new long[25];
            for (int i = 0; i < closedPeriod.length; i++) {
                closedPeriod[i] = breaker.tryAcquirePermit(); // calls admitted while CLOSED, still running
            }
            fail(breaker, 1);
            clock.advance(Duration.ofSeconds(30));

            AtomicInteger probes = new AtomicInteger();
            Concurrently.run(50, i -> {
                if (i % 2 == 0) {
                    long late = closedPeriod[i / 2];
                    switch (i % 3) { // their late outcomes race with the permission requests
                        case 0 -> breaker.onSuccess(late, MS);
                        case 1 -> breaker.onFailure(late, MS, RESET);
                        default -> breaker.releasePermission(late);
                    }
                }
                if (breaker.tryAcquirePermit() != CircuitBreaker.NOT_PERMITTED) {
                    probes.incrementAndGet();
                }
            });

            assertThat(probes).as("round %d", round).hasValue(1);
            assertThat(breaker.state()).as("only the probe decides").isEqualTo(State.HALF_OPEN);
            assertThat(breaker.metrics().notPermittedCalls()).isEqualTo(49);
        }
    }

    @Test
    void executeMeasuresDurationsOnlyWhenSlowCallsAreWatched() throws Exception {
        CircuitBreaker plain = consecutive(1).build();
        assertThat(plain.measuresDuration()).isFalse();

        CircuitBreaker watching = CircuitBreaker.builder("payments").windowSize(1).minimumCalls(1)
                .slowCallDuration(Duration.ofSeconds(1)).clock(clock).events(bus).build();
        assertThat(watching.measuresDuration()).isTrue();
        watching.execute(() -> {
            clock.advance(Duration.ofSeconds(2)); // the call takes 2 s on the breaker's clock
            return "late";
        });
        assertThat(watching.metrics().slowCalls()).isEqualTo(1);
        assertThat(watching.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aSlowProbeReopensTheBreaker() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(2).minimumCalls(2)
                .slowCallDuration(Duration.ofSeconds(1)).clock(clock).events(bus).build();
        fail(breaker, 2);
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.tryAcquirePermission()).isTrue();

        breaker.onSuccess(Duration.ofSeconds(3).toNanos());

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions().getLast().reason()).isEqualTo("probe was slow: 3.00s >= 1.00s");
    }

    @Test
    void fiftyConcurrentCallersInHalfOpenProduceExactlyOneProbe() throws Exception {
        CircuitBreaker breaker = consecutive(1).build();
        fail(breaker, 1);
        clock.advance(Duration.ofSeconds(30));

        AtomicInteger admitted = new AtomicInteger();
        Concurrently.run(50, i -> {
            if (breaker.tryAcquirePermission()) {
                admitted.incrementAndGet();
            }
        });

        assertThat(admitted).hasValue(1);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.metrics().notPermittedCalls()).isEqualTo(49);
    }

    @Test
    void halfOpenAdmitsExactlyItsPermitsUnder32ConcurrentCallersRepeatedly() throws Exception {
        for (int round = 0; round < 20; round++) {
            CircuitBreaker breaker = consecutive(1).halfOpenPermits(3).build();
            fail(breaker, 1);
            clock.advance(Duration.ofSeconds(30));
            AtomicInteger admitted = new AtomicInteger();
            Concurrently.run(32, i -> {
                if (breaker.tryAcquirePermission()) {
                    admitted.incrementAndGet();
                }
            });
            assertThat(admitted).as("round %d", round).hasValue(3);
        }
    }

    // --- it counts what it is given: one outcome per logical call ------------------------------

    @Test
    void twoLogicalCallsReportedAsTwoFailuresDoNotOpenAThresholdOfFive() {
        CircuitBreaker breaker = consecutive(5).build();
        // A retry loop made 3 attempts per call but reports each logical call once.
        fail(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isEqualTo(2);
    }

    @Test
    void closedStateUnder32ConcurrentCallersCountsEveryOutcomeOnce() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(10_000).minimumCalls(10_000)
                .clock(clock).events(bus).build();
        Concurrently.run(32, i -> {
            for (int n = 0; n < 250; n++) {
                if (breaker.tryAcquirePermission()) {
                    if (n % 5 == 0) {
                        breaker.onFailure(MS, RESET);
                    } else {
                        breaker.onSuccess(MS);
                    }
                }
            }
        });
        CircuitBreaker.Metrics m = breaker.metrics();
        assertThat(m.bufferedCalls()).isEqualTo(8000);
        assertThat(m.failedCalls()).isEqualTo(1600);
        assertThat(m.failureRate()).isEqualTo(0.2);
        assertThat(m.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void timeWindowStaysConsistentUnder32CallersWhileTimeMoves() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(Mode.TIME_WINDOW).windowSize(5)
                .minimumCalls(1_000_000).clock(clock).events(bus).build();
        AtomicInteger recorded = new AtomicInteger();
        Concurrently.run(32, i -> {
            for (int n = 0; n < 200; n++) {
                if (i == 0 && n % 10 == 0) {
                    clock.advance(Duration.ofMillis(100));
                }
                assertThat(breaker.tryAcquirePermission()).isTrue();
                if (n % 4 == 0) {
                    breaker.onFailure(MS, RESET);
                } else {
                    breaker.onSuccess(MS);
                }
                recorded.incrementAndGet();
                CircuitBreaker.Metrics m = breaker.metrics();
                assertThat(m.failedCalls()).isBetween(0, m.bufferedCalls());
            }
        });
        CircuitBreaker.Metrics m = breaker.metrics();
        assertThat(m.bufferedCalls()).isBetween(1, recorded.get());
        assertThat(m.failureRate()).isBetween(0.0, 1.0);
        clock.advance(Duration.ofSeconds(5));
        CircuitBreaker.Metrics later = breaker.metrics();
        assertThat(later.bufferedCalls()).as("everything aged out, nothing left over or negative").isZero();
        assertThat(later.failedCalls()).isZero();
    }

    @Test
    void concurrentFailuresOpenTheBreakerWithExactlyOneTransitionEvent() throws Exception {
        CircuitBreaker breaker = consecutive(5).build();
        Concurrently.run(32, i -> {
            if (breaker.tryAcquirePermission()) {
                breaker.onFailure(MS, RESET);
            }
        });
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions()).hasSize(1);
    }

    // --- windows --------------------------------------------------------------------------------

    @Test
    void countWindowOpensOnFailureRateOnlyAfterMinimumCalls() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(Mode.COUNT_WINDOW).windowSize(10)
                .minimumCalls(5).failureRateThreshold(0.5).clock(clock).events(bus).build();

        fail(breaker, 4); // 100%, but only 4 calls
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        succeed(breaker, 1); // the fifth call, even a success, makes the rate apply: 4 of 5
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.metrics().failureRate()).isEqualTo(0.8);
    }

    @Test
    void countWindowOpensWhenTheRateCrossesTheThreshold() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(Mode.COUNT_WINDOW).windowSize(10)
                .minimumCalls(10).failureRateThreshold(0.5).clock(clock).events(bus).build();
        succeed(breaker, 5);
        fail(breaker, 4);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        fail(breaker, 1); // 5 of 10
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions()).singleElement().satisfies(t ->
                assertThat(t.logLine()).isEqualTo(
                        "WARN [payments] circuit CLOSED -> OPEN: failure rate 50% >= 50% over 10 calls; open for 30.0s"));
    }

    @Test
    void countWindowForgetsOutcomesThatSlideOut() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(4).minimumCalls(4)
                .failureRateThreshold(0.75).clock(clock).events(bus).build();
        fail(breaker, 2);
        succeed(breaker, 4); // the two failures slide out
        assertThat(breaker.metrics().failedCalls()).isZero();
        assertThat(breaker.metrics().bufferedCalls()).isEqualTo(4);
        fail(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED); // 2 of 4
        fail(breaker, 1);
        assertThat(breaker.state()).isEqualTo(State.OPEN); // 3 of 4
    }

    @Test
    void timeWindowCountsOnlyTheLastWindowSizeSeconds() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(Mode.TIME_WINDOW).windowSize(10)
                .minimumCalls(6).failureRateThreshold(0.5).clock(clock).events(bus).build();
        fail(breaker, 5);
        clock.advance(Duration.ofSeconds(10)); // the five failures age out
        assertThat(breaker.metrics().bufferedCalls()).isZero();

        succeed(breaker, 3);
        clock.advance(Duration.ofSeconds(4));
        fail(breaker, 2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED); // 5 calls < minimum 6
        fail(breaker, 1);
        assertThat(breaker.state()).isEqualTo(State.OPEN); // 3 of 6 within 10 s
    }

    @Test
    void timeWindowExpiresBucketBySecond() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(Mode.TIME_WINDOW).windowSize(3)
                .minimumCalls(100).clock(clock).events(bus).build();
        succeed(breaker, 1);
        clock.advance(Duration.ofSeconds(1));
        succeed(breaker, 2);
        clock.advance(Duration.ofSeconds(1));
        fail(breaker, 3);
        assertThat(breaker.metrics().bufferedCalls()).isEqualTo(6);
        clock.advance(Duration.ofSeconds(1));
        assertThat(breaker.metrics().bufferedCalls()).isEqualTo(5);
        clock.advance(Duration.ofSeconds(1));
        assertThat(breaker.metrics().bufferedCalls()).isEqualTo(3);
        assertThat(breaker.metrics().failedCalls()).isEqualTo(3);
        clock.advance(Duration.ofHours(5));
        assertThat(breaker.metrics().bufferedCalls()).isZero();
    }

    @Test
    void slowCallRateOpensTheBreakerEvenWhenCallsSucceed() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(10).minimumCalls(4)
                .slowCallDuration(Duration.ofSeconds(2)).slowCallRateThreshold(0.5).clock(clock).events(bus).build();
        for (int i = 0; i < 2; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onSuccess(Duration.ofMillis(1999).toNanos());
        }
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(Duration.ofSeconds(2).toNanos());
        assertThat(breaker.metrics().slowCalls()).isEqualTo(1);
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(Duration.ofSeconds(3).toNanos());

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions().getFirst().reason()).startsWith("slow-call rate 50% >= 50% (calls >= 2.00s)");
    }

    @Test
    void applicationFaultsAreNotCounted() throws Exception {
        CircuitBreaker breaker = consecutive(2).build();
        for (int i = 0; i < 10; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onFailure(MS, Fault.of(FaultKind.CLIENT_ERROR, "HTTP 400"));
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onFailure(MS, Fault.of(FaultKind.VALIDATION));
        }
        assertThatThrownBy(() -> breaker.execute(() -> {
            throw new IllegalStateException("bug in the caller");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
    }

    @Test
    void executeClassifiesJdkExceptionsAndCountsThem() {
        CircuitBreaker breaker = consecutive(2).build();
        assertThatThrownBy(() -> breaker.execute(() -> {
            throw new ConnectException("Connection refused");
        })).isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> breaker.execute(() -> {
            throw new IOException("broken");
        })).isInstanceOf(IOException.class);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void customRecordFaultPredicateDecidesWhatCounts() {
        CircuitBreaker breaker = consecutive(1).recordFault(f -> f.kind() == FaultKind.SERVER_ERROR).build();
        fail(breaker, 3); // connection resets are ignored by this predicate
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onFailure(MS, Fault.of(FaultKind.SERVER_ERROR));
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    // --- open wait growth and jitter ------------------------------------------------------------

    @Test
    void openWaitGrowsAfterEachFailedProbeUpToTheCap() {
        CircuitBreaker breaker = consecutive(1).openWait(Duration.ofSeconds(1)).openWaitMultiplier(2.0)
                .maxOpenWait(Duration.ofSeconds(5)).build();
        fail(breaker, 1);
        long[] expected = {1, 2, 4, 5, 5};
        for (long seconds : expected) {
            assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(seconds).toNanos());
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onFailure(MS, RESET);
        }
        clock.advance(Duration.ofSeconds(5));
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.onSuccess(MS);
        fail(breaker, 1); // closing restarts the growth
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void openWaitJitterShortensTheWaitWithinItsFractionAndIsReproducibleWithASeed() {
        CircuitBreaker a = consecutive(1).openWaitJitter(0.25).random(new SplittableRandom(42)).build();
        CircuitBreaker b = consecutive(1).openWaitJitter(0.25).random(new SplittableRandom(42)).build();
        fail(a, 1);
        fail(b, 1);
        long wait = a.remainingOpenNanos();
        assertThat(wait).isBetween(Duration.ofMillis(22_500).toNanos(), Duration.ofSeconds(30).toNanos());
        assertThat(b.remainingOpenNanos()).isEqualTo(wait);
    }

    // --- manual overrides, peeking, events ------------------------------------------------------

    @Test
    void forceOpenRefusesUntilReset() {
        CircuitBreaker breaker = consecutive(5).build();
        breaker.forceOpen();
        clock.advance(Duration.ofDays(1));
        assertThat(breaker.tryAcquirePermission()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.FORCED_OPEN);
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(breaker.isCallPermittedNow()).isFalse();

        breaker.reset();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquirePermission()).isTrue();
    }

    @Test
    void disabledPermitsEverythingAndCountsNothing() {
        CircuitBreaker breaker = consecutive(1).build();
        breaker.disable();
        fail(breaker, 50);
        assertThat(breaker.state()).isEqualTo(State.DISABLED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
        breaker.reset();
        fail(breaker, 1);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void resetClearsTheWindow() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(10).minimumCalls(10)
                .clock(clock).events(bus).build();
        fail(breaker, 4);
        breaker.reset();
        assertThat(breaker.metrics().bufferedCalls()).isZero();
        assertThat(breaker.metrics().failedCalls()).isZero();
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
        assertThat(transitions()).as("CLOSED stayed CLOSED: no state change, no event").isEmpty();
    }

    @Test
    void isCallPermittedNowHasNoSideEffects() {
        CircuitBreaker breaker = consecutive(1).build();
        assertThat(breaker.isCallPermittedNow()).isTrue();
        fail(breaker, 1);
        assertThat(breaker.isCallPermittedNow()).isFalse();
        clock.advance(Duration.ofSeconds(30));
        assertThat(breaker.isCallPermittedNow()).isTrue();
        assertThat(breaker.isCallPermittedNow()).isTrue();

        assertThat(breaker.state()).as("peeking does not move to half-open").isEqualTo(State.OPEN);
        assertThat(breaker.metrics().notPermittedCalls()).isZero();

        assertThat(breaker.tryAcquirePermission()).isTrue(); // the probe
        assertThat(breaker.isCallPermittedNow()).isFalse();
        assertThat(breaker.metrics().notPermittedCalls()).isZero();
    }

    @Test
    void publishesExactlyOneEventPerStateChange() {
        CircuitBreaker breaker = consecutive(2).build();
        fail(breaker, 2);
        breaker.tryAcquirePermission(); // refused: a DEBUG rejection event, not a transition
        clock.advance(Duration.ofSeconds(30));
        breaker.tryAcquirePermission();
        breaker.onFailure(MS, RESET);
        clock.advance(Duration.ofSeconds(30));
        breaker.tryAcquirePermission();
        breaker.onSuccess(MS);
        breaker.forceOpen();
        breaker.forceOpen(); // no change, no event
        breaker.disable();
        breaker.reset();

        assertThat(transitions()).extracting(t -> t.from() + "->" + t.to()).containsExactly(
                "CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED",
                "CLOSED->FORCED_OPEN", "FORCED_OPEN->DISABLED", "DISABLED->CLOSED");
        assertThat(transitions().getFirst().logLine())
                .isEqualTo("WARN [payments] circuit CLOSED -> OPEN: 2 consecutive failures >= 2; open for 30.0s");
        assertThat(events).filteredOn(e -> e.type().equals("breaker.call-not-permitted")).hasSize(1)
                .first().satisfies(e -> assertThat(e.message()).contains("circuit OPEN; half-open in 30.0s"));
    }

    @Test
    void metricsSnapshotIsReadableInEveryState() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").windowSize(4).minimumCalls(4)
                .clock(clock).events(bus).build();
        succeed(breaker, 2);
        fail(breaker, 2);
        CircuitBreaker.Metrics m = breaker.metrics();
        assertThat(m.state()).isEqualTo(State.OPEN);
        assertThat(m.bufferedCalls()).isEqualTo(4);
        assertThat(m.failedCalls()).isEqualTo(2);
        assertThat(m.failureRate()).isEqualTo(0.5);
        assertThat(m.slowCallRate()).isZero();
        assertThat(m.consecutiveFailures()).isEqualTo(2);
    }

    // --- configuration ---------------------------------------------------------------------------

    @Test
    void invalidConfigurationNamesFieldValueAndRange() {
        assertThatThrownBy(() -> CircuitBreaker.builder("p").failureRateThreshold(1.5).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("failureRateThreshold: 1.5 is out of range; allowed 0.001..1.0");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").windowSize(10).minimumCalls(11).build())
                .hasMessage("minimumCalls: 11 is out of range; allowed 1..10");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").halfOpenPermits(0).build())
                .hasMessage("halfOpenPermits: 0 is out of range; allowed 1..1000");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").openWait(Duration.ZERO).build())
                .hasMessageStartingWith("openWait: 0us is out of range; allowed 1ms..");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").openWait(Duration.ofSeconds(10))
                .maxOpenWait(Duration.ofSeconds(5)).build())
                .hasMessageStartingWith("maxOpenWait: 5.00s is out of range; allowed 10.0s..");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").openWaitJitter(-0.1).build())
                .hasMessage("openWaitJitter: -0.1 is out of range; allowed 0.0..1.0");
        assertThatThrownBy(() -> CircuitBreaker.builder("p").mode(Mode.CONSECUTIVE_FAILURES)
                .slowCallDuration(Duration.ofSeconds(1)).build())
                .hasMessageStartingWith("slowCallDuration: 1.00s is not allowed in CONSECUTIVE_FAILURES mode");
        assertThatThrownBy(() -> CircuitBreaker.builder(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("name:");
    }

    @Test
    void callNotPermittedIsAStrataExceptionOfTheResilienceLayer() {
        StrataException e = new CallNotPermittedException("db", State.FORCED_OPEN, Long.MAX_VALUE);
        assertThat(e.layer()).isEqualTo(dev.strata.fault.Layer.RESILIENCE);
        assertThat(e.fault().retryable()).isFalse();
        assertThat(e.getMessage()).isEqualTo("[db] RESILIENCE/circuit-open: circuit FORCED_OPEN; refusing calls until reset");
    }
}
