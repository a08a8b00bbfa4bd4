package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.RetryBudget;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The life of a verdict on a {@link ManualClock}: active while its evidence is current, recovering
 * with {@code until} once it stops, then recent; a second fault heads the diagnosis over the first
 * one's leftovers; a cause heads its symptoms; a breaker held open keeps its cause active.
 */
class VerdictLifecycleTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();

    private void refused(String dependency, int times) {
        for (int i = 0; i < times; i++) {
            bus.publish(new BasicEvent(clock.currentTimeMillis(), dependency, "connect.failed", Layer.NETWORK, Level.WARNING,
                    Fault.of(FaultKind.CONNECTION_REFUSED), "connect to 127.0.0.1:9 refused"));
        }
    }

    /** One slow call: attempt 1 times out at 2 s, the retry budget refuses attempt 2, the call gives up. */
    private void timedOut(String dependency) {
        long now = clock.currentTimeMillis();
        bus.publish(new BasicEvent(now, dependency, "timeout.fired", Layer.RESILIENCE, Level.WARNING,
                Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 2s"), "attempt 1 timed out after 2s"));
        bus.publish(new BasicEvent(now, dependency, "call.failed", Layer.RESILIENCE, Level.WARNING,
                Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 2s"), "attempt 1/2 failed: RESILIENCE/attempt-timeout; no retry"));
    }

    @Test
    void aFaultIsActiveThenRecoveringWithUntilThenRecentThenForgotten() {
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            refused("payments", 3);
            clock.advance(Duration.ofSeconds(2));
            refused("payments", 3);
            Instant last = Instant.ofEpochMilli(clock.currentTimeMillis());
            clock.advance(Duration.ofSeconds(1));

            Diagnosis during = diagnoser.diagnose();
            assertThat(during.healthy()).isFalse();
            assertThat(during.first().id()).isEqualTo("connect-refused");
            assertThat(during.first().state()).isEqualTo(Verdict.State.ACTIVE);
            assertThat(during.first().until()).isNull();
            assertThat(during.toJson()).contains("\"state\":\"active\",\"until\":null");

            clock.advance(Diagnoser.ACTIVE_FOR); // 6 s after the last refusal: stopped
            Diagnosis after = diagnoser.diagnose();
            assertThat(after.healthy()).as(after.toText()).isTrue();
            assertThat(after.verdicts()).singleElement().satisfies(v -> {
                assertThat(v.state()).isEqualTo(Verdict.State.RECOVERING);
                assertThat(v.until()).isEqualTo(last);
                assertThat(v.since()).isEqualTo(last.minusSeconds(2));
            });
            Diagnosis back = Diagnosis.parse(after.toJson());
            assertThat(back.first().state()).isEqualTo(Verdict.State.RECOVERING);
            assertThat(back.first().until()).isEqualTo(last);

            clock.advance(Diagnoser.RECOVERING_FOR.minus(Diagnoser.ACTIVE_FOR)); // 16 s after it
            Diagnosis later = diagnoser.diagnose();
            assertThat(later.verdicts()).isEmpty();
            assertThat(later.recent()).extracting(Verdict::id, Verdict::state)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("connect-refused", Verdict.State.RECENT));
            assertThat(Diagnosis.parse(later.toJson()).recent()).hasSize(1);

            clock.advance(Duration.ofSeconds(60)); // a window after it
            assertThat(diagnoser.diagnose().recent()).isEmpty();
        }
    }

    @Test
    void aSecondFaultWithinTheWindowHeadsTheDiagnosisOverTheFirst() {
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            for (int i = 0; i < 8; i++) { // payments slow for 8 s, then fine
                timedOut("payments");
                clock.advance(Duration.ofSeconds(1));
            }
            assertThat(diagnoser.diagnose().first().dependency()).isEqualTo("payments");
            clock.advance(Duration.ofSeconds(10)); // recovered; its timeouts are still in the 60 s window
            refused("orders-db", 4);
            clock.advance(Duration.ofMillis(300));

            Diagnosis d = diagnoser.diagnose();
            assertThat(d.first().id()).as(d.toText()).isEqualTo("connect-refused");
            assertThat(d.first().dependency()).isEqualTo("orders-db");
            assertThat(d.active()).extracting(Verdict::dependency).containsOnly("orders-db");
            assertThat(d.verdicts()).anySatisfy(v -> {
                assertThat(v.id()).isEqualTo("dependency-slow");
                assertThat(v.state()).isEqualTo(Verdict.State.RECOVERING);
            });
        }
    }

    @Test
    void twoFaultsAtOnceAreTwoActiveVerdictsEachOnItsDependency() {
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            for (int i = 0; i < 6; i++) {
                timedOut("payments");
                refused("inventory", 1);
                clock.advance(Duration.ofMillis(500));
            }
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.active()).extracting(Verdict::id, Verdict::dependency).contains(
                    org.assertj.core.groups.Tuple.tuple("connect-refused", "inventory"),
                    org.assertj.core.groups.Tuple.tuple("dependency-slow", "payments"));
        }
    }

    @Test
    void aSlowDependencyWithARetryBudgetIsDependencySlowNotARetryStorm() {
        RetryBudget budget = RetryBudget.builder().name("payments").events(bus).clock(clock).build();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).retryBudget(budget).build())
                .clock(clock).start()) {
            for (int i = 0; i < 12; i++) {
                long now = clock.currentTimeMillis();
                // attempt 1 and 2 time out, attempt 3 is refused by the budget: 2 failed attempts per call
                for (int attempt = 1; attempt <= 2; attempt++) {
                    bus.publish(new BasicEvent(now, "payments", "timeout.fired", Layer.RESILIENCE, Level.WARNING,
                            Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 1s"), "attempt " + attempt + " timed out after 1s"));
                    bus.publish(new BasicEvent(now, "payments", attempt == 1 ? "retry.attempt-failed" : "retry.gave-up",
                            Layer.RESILIENCE, Level.WARNING, Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 1s"),
                            "attempt " + attempt + "/3 failed: RESILIENCE/attempt-timeout"));
                }
                bus.publish(new BasicEvent(now, "payments", "retry-budget.exhausted", Layer.RESILIENCE, Level.WARNING,
                        Fault.of(FaultKind.RETRY_BUDGET_EXHAUSTED), "retry budget exhausted"));
                clock.advance(Duration.ofMillis(400));
            }
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.first().id()).as(d.toText()).isEqualTo("dependency-slow");
            assertThat(d.first().layer()).isEqualTo(Layer.REMOTE);
            assertThat(d.first().evidence()).containsEntry("retryBudgetExhausted", 12L);
            assertThat(d.verdict("retry-storm")).as(d.toText()).isNull();
        }
    }

    @Test
    void theSameRetriesWithoutABudgetAreAStormExplainedByTheSlowDependency() {
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            for (int i = 0; i < 12; i++) {
                long now = clock.currentTimeMillis();
                for (int attempt = 1; attempt <= 3; attempt++) {
                    bus.publish(new BasicEvent(now, "payments", "timeout.fired", Layer.RESILIENCE, Level.WARNING,
                            Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 1s"), "attempt " + attempt + " timed out after 1s"));
                    bus.publish(new BasicEvent(now, "payments", attempt < 3 ? "retry.attempt-failed" : "retry.gave-up",
                            Layer.RESILIENCE, Level.WARNING, Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after 1s"),
                            "attempt " + attempt + "/3 failed: RESILIENCE/attempt-timeout"));
                }
                clock.advance(Duration.ofMillis(400));
            }
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.verdicts()).extracting(Verdict::id).containsExactly("dependency-slow", "retry-storm");
            assertThat(d.first().explains()).containsExactly("retry-storm");
        }
    }

    @Test
    void aBreakerHeldOpenKeepsTheFaultThatOpenedItActive() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").events(bus).clock(clock)
                .mode(CircuitBreaker.Mode.COUNT_WINDOW).windowSize(10).minimumCalls(5).failureRateThreshold(0.5)
                .openWait(Duration.ofSeconds(30)).build();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).breaker(breaker).build())
                .clock(clock).start()) {
            for (int i = 0; i < 5; i++) {
                refused("payments", 1);
                assertThat(breaker.tryAcquirePermission()).isTrue();
                breaker.onFailure(1_000_000, Fault.of(FaultKind.CONNECTION_REFUSED));
            }
            assertThat(breaker.metrics().state()).isEqualTo(CircuitBreaker.State.OPEN);
            clock.advance(Duration.ofSeconds(20)); // no call reaches payments, so no new evidence
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.healthy()).as(d.toText()).isFalse();
            assertThat(d.first().id()).isEqualTo("connect-refused");
            assertThat(d.first().state()).isEqualTo(Verdict.State.ACTIVE);
        }
    }

    @Test
    void aLimiterRefusingCallsIsRateLimitedAndClearsWhenTheRefusalsStop() {
        dev.strata.ratelimit.LocalRateLimiter limiter = dev.strata.ratelimit.LocalRateLimiter.builder("search")
                .limit(2, Duration.ofSeconds(1)).clock(clock).events(bus).build();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).limiter(limiter).build())
                .clock(clock).start()) {
            int refused = 0;
            for (int i = 0; i < 10; i++) {
                refused += limiter.tryAcquire("search", 1) ? 0 : 1;
            }
            assertThat(refused).isEqualTo(8);
            clock.advance(Duration.ofMillis(500));
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.first().id()).as(d.toText()).isEqualTo("rate-limited");
            assertThat(d.first().layer()).isEqualTo(Layer.RESOURCE);
            assertThat(d.first().evidence()).containsEntry("refusals", 8L).containsEntry("limit", 2L)
                    .containsEntry("windowMillis", 1000L);

            clock.advance(Diagnoser.ACTIVE_FOR); // no refusal since
            assertThat(diagnoser.diagnose().healthy()).isTrue();
        }
    }
}
