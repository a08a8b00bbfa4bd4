package dev.strata.bench.overload;

import dev.strata.bench.overload.DependencySim.Phase;
import dev.strata.bench.overload.DependencySim.PhaseStats;
import dev.strata.bench.overload.DependencySim.Result;
import dev.strata.call.ManualClock;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The overload-control benchmark (a simulation, not a timed test): prints, for Strata's adaptive
 * limit, fixed bulkheads tuned in hindsight for one phase, no limit and Netflix concurrency-limits
 * (Gradient2, Vegas, AIMD, on the same virtual clock):
 * <ol>
 *   <li>a latency step 10 ms -> 50 ms -> 10 ms: goodput within the deadline, p99 of admitted
 *       calls, refusals, and the time to settle within +-10 % of the best limit after each step;</li>
 *   <li>false rejections at 70 % load (10 ms and 50 ms);</li>
 *   <li>a steady run (30 min by default): the limit's drift;</li>
 *   <li>10x overload with 20 % critical traffic: the share of each class that succeeds;</li>
 *   <li>retry amplification in a three-tier chain with the middle tier failing.</li>
 * </ol>
 * Run: {@code java -cp strata-bench/target/benchmarks.jar dev.strata.bench.overload.OverloadBenchmark [steadyMinutes]}.
 */
public final class OverloadBenchmark {

    static final int WORKERS = 40;
    static final Duration DEADLINE = Duration.ofMillis(100);
    static final Duration FAST = Duration.ofMillis(10);
    static final Duration SLOW = Duration.ofMillis(50);
    /** 60 % of the capacity at 10 ms (4000/s), 3x the capacity at 50 ms (800/s). */
    static final double STEP_RATE = 2400;
    static final long SEED = 42;

    private OverloadBenchmark() {}

    public static void main(String[] args) {
        int steadyMinutes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        run(System.out, Duration.ofSeconds(20), steadyMinutes);
    }

    static List<Function<ManualClock, Gate>> adaptive() {
        return List.of(Gate.strata(), Gate.netflixGradient2(), Gate.netflixVegas(), Gate.netflixAimd());
    }

    /** Runs every scenario with phases of {@code phase} and a steady run of {@code steadyMinutes}; returns the step results. */
    static Report run(PrintStream out, Duration phase, int steadyMinutes) {
        Report report = new Report();
        List<Phase> phases = List.of(new Phase(phase, FAST), new Phase(phase, SLOW), new Phase(phase, FAST));
        DependencySim step = new DependencySim(WORKERS, STEP_RATE, DEADLINE, 0, 0, SEED);

        // Fixed bulkheads tuned in hindsight: the smallest limit within 0.5 % of the best goodput of each phase.
        List<Result> grid = new ArrayList<>();
        for (int n = 5; n <= 150; n += 5) {
            grid.add(step.run(phases, Gate.fixed(n)));
        }
        int[] best = new int[phases.size()];
        for (int p = 0; p < phases.size(); p++) {
            double max = 0;
            for (Result r : grid) {
                max = Math.max(max, r.goodputPerSecond(p));
            }
            for (int i = 0; i < grid.size(); i++) {
                if (grid.get(i).goodputPerSecond(p) >= max * 0.995) {
                    best[p] = 5 * (i + 1);
                    break;
                }
            }
        }
        report.bestLimit = best;
        out.printf(Locale.ROOT, "%n1. Latency step 10 ms -> 50 ms -> 10 ms (%s each), %d workers, open loop %.0f/s, deadline %d ms%n",
                Durations.s(phase), WORKERS, STEP_RATE, DEADLINE.toMillis());
        out.printf(Locale.ROOT, "   hindsight-best fixed limit per phase: %d / %d / %d%n", best[0], best[1], best[2]);
        out.printf(Locale.ROOT, "   %-18s | %-23s | %-23s | %-20s | %-15s%n", "policy", "goodput/s (10|50|10ms)",
                "p99 ms admitted", "refused %", "settle s (step1|2)");
        List<Function<ManualClock, Gate>> gates = new ArrayList<>();
        gates.add(Gate.fixed(best[0]));
        if (best[1] != best[0]) {
            gates.add(Gate.fixed(best[1]));
        }
        gates.add(Gate.none());
        gates.addAll(adaptive());
        for (Function<ManualClock, Gate> g : gates) {
            Result r = step.run(phases, g);
            report.step.add(r);
            boolean[] binding = {STEP_RATE > WORKERS * 1e9 / FAST.toNanos(), STEP_RATE > WORKERS * 1e9 / SLOW.toNanos(),
                STEP_RATE > WORKERS * 1e9 / FAST.toNanos()};
            String settle = r.limitSamples()[0] < 0 ? "-" : Durations.settle(r, 1, best[1], binding[1]) + " | "
                    + Durations.settle(r, 2, best[2], binding[2]);
            out.printf(Locale.ROOT, "   %-18s | %6.0f %6.0f %6.0f    | %6.1f %6.1f %6.1f    | %5.1f %5.1f %5.1f    | %s%n",
                    r.gate(), r.goodputPerSecond(0), r.goodputPerSecond(1), r.goodputPerSecond(2),
                    r.stats()[0].percentileMs(99), r.stats()[1].percentileMs(99), r.stats()[2].percentileMs(99),
                    refused(r.stats()[0]), refused(r.stats()[1]), refused(r.stats()[2]), settle);
        }

        out.printf(Locale.ROOT, "%n2. False rejections at 70 %% load (%s, deadline %d ms)%n", Durations.s(phase.multipliedBy(3)),
                DEADLINE.toMillis());
        for (Duration latency : List.of(FAST, SLOW)) {
            double rate = 0.7 * WORKERS * 1e9 / latency.toNanos();
            DependencySim sim = new DependencySim(WORKERS, rate, DEADLINE, 0, 0, SEED);
            for (Function<ManualClock, Gate> g : adaptive()) {
                Result r = sim.run(List.of(new Phase(phase.multipliedBy(3), latency)), g);
                report.falseRejections.add(r);
                out.printf(Locale.ROOT, "   %-18s at %2d ms, %5.0f/s: refused %.3f %% (%d of %d), limit at end %d%n", r.gate(),
                        latency.toMillis(), rate, refused(r.stats()[0]), r.stats()[0].rejected, r.stats()[0].arrivals,
                        r.limitSamples()[r.limitSamples().length - 1]);
            }
        }

        out.printf(Locale.ROOT, "%n3. Steady run, %d min at 10 ms and 70 %% load: mean limit per period%n", steadyMinutes);
        DependencySim steady = new DependencySim(WORKERS, 0.7 * WORKERS * 100, DEADLINE, 0, 0, SEED);
        for (Function<ManualClock, Gate> g : adaptive()) {
            Result r = steady.run(List.of(new Phase(Duration.ofMinutes(steadyMinutes), FAST)), g);
            report.steady.add(r);
            int[] s = r.limitSamples();
            int n = s.length;
            double early = mean(s, n / 10, n / 5);
            double late = mean(s, n - n / 10, n);
            out.printf(Locale.ROOT, "   %-18s limit %6.1f (10-20 %% of the run) -> %6.1f (last 10 %%): drift %+5.1f %%, "
                            + "range %d..%d, refused %.3f %%, p99 %.1f ms (%.0f s simulated in %.1f s)%n",
                    r.gate(), early, late, (late / early - 1) * 100, min(s, n / 10), max(s, n / 10), refused(r.stats()[0]),
                    r.stats()[0].percentileMs(99), steadyMinutes * 60.0, r.seconds());
        }

        double overRate = 10 * WORKERS * 100;
        // 20 % of the calls critical = 2x the capacity in critical calls alone: at most 50 % of them can succeed.
        // The second mix keeps critical traffic at 20 % of the capacity (2 % of the calls), which can all be served.
        for (double critical : new double[] {0.2, 0.02}) {
            out.printf(Locale.ROOT, "%n4. 10x overload (%.0f/s at 10 ms, capacity 4000/s), %.0f %% critical (%.0f/s), "
                    + "30 %% sheddable, rest default, %s%n", overRate, critical * 100, critical * overRate, Durations.s(phase));
            DependencySim over = new DependencySim(WORKERS, overRate, DEADLINE, critical, 0.3, SEED);
            List<Function<ManualClock, Gate>> overGates = List.of(Gate.strata(), Gate.fixed(WORKERS), Gate.none(),
                    Gate.netflixGradient2());
            for (Function<ManualClock, Gate> g : overGates) {
                Result r = over.run(List.of(new Phase(phase, FAST)), g);
                (critical == 0.2 ? report.overload : report.overloadFeasible).add(r);
                PhaseStats s = r.stats()[0];
                out.printf(Locale.ROOT, "   %-18s critical %6.2f %% succeed, default %6.2f %%, sheddable %6.2f %%; "
                                + "goodput %.0f/s, p99 %.1f ms%n", r.gate(), share(s, 0), share(s, 1), share(s, 2),
                        r.goodputPerSecond(0), s.percentileMs(99));
            }
        }

        int failSeconds = (int) Math.max(2, phase.toSeconds() / 2);
        out.printf(Locale.ROOT, "%n5. Three-tier chain client -> A -> B -> C, 1000 calls/s: 10 s healthy, B answers 503 for %d s, "
                + "then healthy; up to 3 attempts per hop%n", failSeconds);
        for (TierChainSim.Guard guard : TierChainSim.Guard.values()) {
            TierChainSim.Result r = TierChainSim.run(guard, failSeconds);
            report.chain.add(r);
            out.printf(Locale.ROOT, "   %-20s attempts at B per logical call while B fails: %.2fx (%d / %d); "
                            + "over the whole run %.2fx; back to >= 90 %% success %s after B heals%n", guard,
                    r.amplificationAtB(), r.attemptsAtBInFailure(), r.logicalInFailure(), r.amplificationOverall(),
                    Double.isInfinite(r.recoverySeconds()) ? "not within " + TierChainSim.RECOVERY_SECONDS + " s"
                            : String.format(Locale.ROOT, "%.0f s", r.recoverySeconds()));
        }
        return report;
    }

    static double refused(PhaseStats s) {
        return s.arrivals == 0 ? 0 : 100.0 * s.rejected / s.arrivals;
    }

    static double share(PhaseStats s, int c) {
        return s.arrivalsBy[c] == 0 ? 0 : 100.0 * s.goodBy[c] / s.arrivalsBy[c];
    }

    private static double mean(int[] s, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += s[i];
        }
        return sum / Math.max(1, to - from);
    }

    private static int min(int[] s, int from) {
        int m = Integer.MAX_VALUE;
        for (int i = from; i < s.length; i++) {
            m = Math.min(m, s[i]);
        }
        return m;
    }

    private static int max(int[] s, int from) {
        int m = Integer.MIN_VALUE;
        for (int i = from; i < s.length; i++) {
            m = Math.max(m, s[i]);
        }
        return m;
    }

    /** Everything a run measured, for the smoke test. */
    static final class Report {
        int[] bestLimit;
        final List<Result> step = new ArrayList<>();
        final List<Result> falseRejections = new ArrayList<>();
        final List<Result> steady = new ArrayList<>();
        final List<Result> overload = new ArrayList<>();
        final List<Result> overloadFeasible = new ArrayList<>();
        final List<TierChainSim.Result> chain = new ArrayList<>();
    }

    /** Formatting and the settle-time measure. */
    static final class Durations {
        private Durations() {}

        static String s(Duration d) {
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
        }

        /**
         * Seconds after the start of {@code phase} until the limit stays within +-10 % of {@code best}
         * to the end of the phase ("never" if it is outside at the end). When the phase's load is below
         * the capacity the limit does not bind, so only the lower edge counts there.
         */
        static String settle(Result r, int phase, int best, boolean binding) {
            long from = 0;
            for (int i = 0; i < phase; i++) {
                from += r.phases().get(i).length().toNanos();
            }
            long to = from + r.phases().get(phase).length().toNanos();
            int first = (int) (from / DependencySim.SAMPLE);
            int last = (int) (to / DependencySim.SAMPLE) - 1;
            int lastOut = first - 1;
            for (int i = first; i <= last; i++) {
                int l = r.limitSamples()[i];
                if (l < 0.9 * best || (binding && l > 1.1 * best)) {
                    lastOut = i;
                }
            }
            return lastOut == last ? "never" : String.format(Locale.ROOT, "%.1f", (lastOut + 1 - first) * DependencySim.SAMPLE / 1e9);
        }
    }
}
