package dev.strata.bench.overload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.bench.overload.DependencySim.Phase;
import dev.strata.bench.overload.DependencySim.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the overload simulation for a few simulated seconds: it must run, be deterministic, and
 * produce numbers that obey the simulated dependency's physics (no timing is asserted).
 */
class OverloadBenchmarkSmokeTest {

    @Test
    void everyScenarioRunsAndItsNumbersAreSane() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        OverloadBenchmark.Report report = OverloadBenchmark.run(new PrintStream(buffer, true, StandardCharsets.UTF_8),
                Duration.ofSeconds(2), 1);
        String table = buffer.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("strata adaptive", "netflix Gradient2", "no limit", "THROTTLE_AND_BUDGET");

        for (Result r : report.step) {
            for (int p = 0; p < 3; p++) {
                DependencySim.PhaseStats s = r.stats()[p];
                assertThat(s.rejected + s.admitted).as(r.gate()).isEqualTo(s.arrivals);
                assertThat(s.good + s.timedOut).as(r.gate()).isLessThanOrEqualTo(s.admitted);
                // 40 workers: at most 4000/s at 10 ms, 800/s at 50 ms (+20 % service-time jitter)
                double capacity = p == 1 ? 800 : 4000;
                assertThat(r.goodputPerSecond(p)).as(r.gate() + " phase " + p).isLessThanOrEqualTo(capacity * 1.3);
            }
        }
        Result noLimit = find(report.step, "no limit");
        Result strata = find(report.step, "strata adaptive");
        // The unbounded queue of the slow phase collapses goodput without a limit; the adaptive limit keeps serving.
        assertThat(strata.goodputPerSecond(1)).isGreaterThan(noLimit.goodputPerSecond(1) * 5);
        assertThat(java.util.Arrays.stream(strata.limitSamples()).min().orElseThrow()).isGreaterThanOrEqualTo(1);
        assertThat(java.util.Arrays.stream(strata.limitSamples()).max().orElseThrow()).isLessThanOrEqualTo(1000);

        // Critical calls are preferred under 10x overload: when they fit in the capacity, nearly all succeed.
        DependencySim.PhaseStats feasible = find(report.overloadFeasible, "strata adaptive").stats()[0];
        assertThat(OverloadBenchmark.share(feasible, 0)).isGreaterThan(OverloadBenchmark.share(feasible, 2));

        TierChainSim.Result retries = report.chain.get(0);
        TierChainSim.Result guarded = report.chain.get(2);
        assertThat(retries.amplificationAtB()).isEqualTo(9.0); // 3 attempts x 3 attempts, B never answers
        assertThat(guarded.amplificationAtB()).isLessThan(retries.amplificationAtB());
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        DependencySim sim = new DependencySim(8, 600, Duration.ofMillis(100), 0.2, 0.3, 7);
        List<Phase> phases = List.of(new Phase(Duration.ofSeconds(1), Duration.ofMillis(10)),
                new Phase(Duration.ofSeconds(1), Duration.ofMillis(50)));
        Result a = sim.run(phases, Gate.strata());
        Result b = sim.run(phases, Gate.strata());
        assertThat(a.limitSamples()).isEqualTo(b.limitSamples());
        assertThat(a.stats()[1].good).isEqualTo(b.stats()[1].good).isPositive();
    }

    private static Result find(List<Result> results, String gate) {
        return results.stream().filter(r -> r.gate().equals(gate)).findFirst().orElseThrow();
    }
}
