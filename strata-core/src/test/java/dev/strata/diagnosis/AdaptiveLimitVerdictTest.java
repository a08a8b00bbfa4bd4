package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Criticality;
import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code adaptive-limit-at-minimum} on a {@link ManualClock}, fed by a real {@link AdaptiveLimit}'s
 * own events: active while the limit sits at its minimum (however long ago it got there),
 * recovering from the moment it left, then recent.
 */
class AdaptiveLimitVerdictTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();

    /** One 100 ms window of {@code calls} calls that each take {@code latencyMs}, or that all drop. */
    private static void window(ManualClock clock, AdaptiveLimit limit, int calls, long latencyMs, boolean drop) {
        long[] starts = new long[calls];
        int admitted = 0;
        for (int i = 0; i < calls; i++) {
            long s = limit.tryAcquire(Criticality.DEFAULT);
            if (s != AdaptiveLimit.NOT_ADMITTED) {
                starts[admitted++] = s;
            }
        }
        clock.advance(Duration.ofMillis(Math.max(latencyMs, 100)));
        for (int i = 0; i < admitted; i++) {
            if (drop) {
                limit.onDropped(Criticality.DEFAULT, starts[i]);
            } else {
                limit.onSuccess(Criticality.DEFAULT, starts[i] + (Math.max(latencyMs, 100) - latencyMs) * 1_000_000L);
            }
        }
    }

    @Test
    void aLimitAtItsMinimumIsActiveUntilItLeavesThenRecoveringThenRecent() {
        AdaptiveLimit limit = AdaptiveLimit.builder("payments").clock(clock).events(bus).minLimit(2).maxLimit(100)
                .initialLimit(20).window(Duration.ofMillis(100)).minSamples(1).build();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            for (int i = 0; i < 5; i++) {
                window(clock, limit, 20, 10, false); // healthy: 10 ms
            }
            assertThat(diagnoser.diagnose().verdicts()).isEmpty();
            for (int i = 0; i < 40 && limit.limit() > limit.minLimit(); i++) {
                window(clock, limit, 20, 10, true); // every call times out: the limit is cut to its minimum
            }
            assertThat(limit.limit()).isEqualTo(2);

            Diagnosis at = diagnoser.diagnose();
            assertThat(at.first().id()).as(at.toText()).isEqualTo("adaptive-limit-at-minimum");
            assertThat(at.first().dependency()).isEqualTo("payments");
            assertThat(at.first().state()).isEqualTo(Verdict.State.ACTIVE);
            assertThat(at.first().summary()).contains("sits at its minimum (2)");
            assertThat(at.first().evidence()).containsEntry("minimumLimit", 2L).containsEntry("atMinimumNow", true);

            // Still there 20 s later, with no new event: the verdict stays active, its evidence is now.
            clock.advance(Duration.ofSeconds(20));
            Diagnosis still = diagnoser.diagnose();
            assertThat(still.first().id()).isEqualTo("adaptive-limit-at-minimum");
            assertThat(still.first().state()).isEqualTo(Verdict.State.ACTIVE);

            for (int i = 0; i < 40 && limit.limit() <= limit.minLimit(); i++) {
                window(clock, limit, 20, 10, false); // the dependency answers again: the limit grows
            }
            assertThat(limit.limit()).isGreaterThan(2);
            clock.advance(Diagnoser.ACTIVE_FOR.plusSeconds(1));
            Diagnosis left = diagnoser.diagnose();
            assertThat(left.healthy()).as(left.toText()).isTrue();
            assertThat(left.verdicts()).singleElement().satisfies(v -> {
                assertThat(v.id()).isEqualTo("adaptive-limit-at-minimum");
                assertThat(v.state()).isEqualTo(Verdict.State.RECOVERING);
                assertThat(v.evidence()).containsEntry("atMinimumNow", false);
            });

            clock.advance(Diagnoser.RECOVERING_FOR);
            assertThat(diagnoser.diagnose().recent()).extracting(Verdict::id).containsExactly("adaptive-limit-at-minimum");
        }
    }
}
