package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Client-side adaptive throttling on a manual clock. */
class AdaptiveThrottleTest {

    private final ManualClock clock = new ManualClock();
    private final AdaptiveThrottle throttle = AdaptiveThrottle.builder("dep").clock(clock).events(EventBus.detached())
            .k(2.0).window(Duration.ofSeconds(10)).build();

    @Test
    void refusesNothingWhileTheDependencyAcceptsAtLeastOneCallInK() {
        for (int i = 0; i < 1000; i++) {
            assertThat(throttle.tryAcquire()).isTrue();
            if (i % 2 == 0) {
                throttle.onAccepted(); // half accepted: requests = 2 x accepts, still nothing refused
            } else {
                throttle.onRejected();
            }
        }
        assertThat(throttle.throttledCount()).isZero();
        assertThat(throttle.rejectProbability()).isZero();
    }

    @Test
    void refusalProbabilityIsTheSreFormula() {
        for (int i = 0; i < 100; i++) {
            throttle.tryAcquire();
            throttle.onOutcome(null);
        }
        for (int i = 0; i < 300; i++) {
            if (throttle.tryAcquire()) { // a refused call is counted by tryAcquire, a sent one by its answer
                throttle.onOutcome(Fault.of(FaultKind.READ_TIMEOUT)); // an overload signal: not an accept
            }
        }
        assertThat(throttle.requests()).isEqualTo(400);
        assertThat(throttle.accepts()).isEqualTo(100);
        assertThat(throttle.rejectProbability()).isEqualTo((400 - 2.0 * 100) / 401);
    }

    @Test
    void callsStillInFlightAreNotRequestsYetSoAColdStartIsNotThrottled() {
        // Eight concurrent calls right after a start, none answered yet: counted at send time they
        // were eight requests without an accept, and the next call was refused with p = 8/9.
        for (int i = 0; i < 8; i++) {
            assertThat(throttle.tryAcquire()).isTrue();
        }
        assertThat(throttle.requests()).isZero();
        assertThat(throttle.rejectProbability()).isZero();
        for (int i = 0; i < 8; i++) {
            throttle.onAccepted();
        }
        assertThat(throttle.requests()).isEqualTo(8);
        assertThat(throttle.accepts()).isEqualTo(8);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.tryAcquire()).isTrue();
        }
        assertThat(throttle.throttledCount()).isZero();
    }

    @Test
    void anOverloadedDependencySeesLittleMoreThanKTimesWhatItAccepts() {
        int sent = 0;
        int accepted = 0;
        int acceptedThisTick = 0;
        for (int i = 0; i < 100_000; i++) {
            if (i % 100 == 0) {
                clock.advance(Duration.ofMillis(10)); // a demand of 10 000 calls per second for 10 s
                acceptedThisTick = 0;
            }
            if (throttle.tryAcquire()) {
                sent++;
                if (acceptedThisTick < 10) { // its capacity: 1 000 calls per second, the rest refused with 503
                    acceptedThisTick++;
                    accepted++;
                    throttle.onAccepted();
                } else {
                    throttle.onOutcome(Fault.of(FaultKind.SERVER_ERROR));
                }
            }
        }
        assertThat(accepted).isGreaterThanOrEqualTo(9_500); // it still serves its capacity
        assertThat((double) sent / accepted).isBetween(1.9, 2.3); // instead of 10 x its capacity
        assertThat(throttle.throttledCount()).isEqualTo(100_000 - sent);
    }

    @Test
    void applicationErrorsAreAcceptsAndOldCountsExpire() {
        for (int i = 0; i < 50; i++) {
            throttle.tryAcquire();
            throttle.onOutcome(Fault.of(FaultKind.CLIENT_ERROR)); // a 404 is an answer
        }
        assertThat(throttle.accepts()).isEqualTo(50);
        for (int i = 0; i < 500; i++) {
            if (throttle.tryAcquire()) {
                throttle.onRejected();
            }
        }
        assertThat(throttle.rejectProbability()).isGreaterThan(0.7);
        clock.advance(Duration.ofSeconds(11));
        assertThat(throttle.requests()).isZero();
        assertThat(throttle.rejectProbability()).isZero();
    }

    @Test
    void aDeadDependencyIsStillProbedSoItsRecoveryIsSeen() {
        int[] sentPerSecond = new int[40];
        for (int ms = 0; ms < 40_000; ms++) { // 1000 calls per second; the dependency is dead for the first 10 s
            boolean dead = ms < 10_000;
            if (throttle.tryAcquire()) {
                sentPerSecond[ms / 1000]++;
                if (dead) {
                    throttle.onOutcome(Fault.of(FaultKind.SERVER_ERROR));
                } else {
                    throttle.onAccepted();
                }
            }
            if (ms == 9_999) {
                assertThat(throttle.rejectProbability()).isEqualTo(0.95); // never 1: one call in twenty still probes
            }
            clock.advance(Duration.ofMillis(1));
        }
        assertThat(sentPerSecond[9]).isBetween(20, 100);
        // Without the ceiling refused calls (counted as requests) outweigh the few accepts for minutes.
        assertThat(sentPerSecond[39]).isEqualTo(1000);
        assertThat(throttle.rejectProbability()).isZero();
    }

    @Test
    void badConfigurationNamesTheField() {
        assertThatThrownBy(() -> AdaptiveThrottle.builder("dep").k(0.5).build()).hasMessageContaining("k").hasMessageContaining("0.5");
        assertThatThrownBy(() -> AdaptiveThrottle.builder("dep").window(Duration.ofMillis(1500)).build())
                .hasMessageContaining("window").hasMessageContaining("whole seconds");
    }
}
