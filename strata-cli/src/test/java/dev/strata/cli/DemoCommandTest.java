package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code strata demo --quick --json FILE} in-process, as the README tells a newcomer to, and
 * checks the outcome issue 5 expects from the JSON it wrote: Strata contains each of the seeds'
 * outages and the naive code does not. Then checks that the run left no thread and no PostgreSQL
 * process behind.
 */
class DemoCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void quickDemoShowsStrataContainingEachOutage(@TempDir Path dir) throws Exception {
        Set<String> threadsBefore = platformThreads();
        long processesBefore = ProcessHandle.current().descendants().count();
        Run run = demo(dir.resolve("out/demo.json"), "--quick");
        String output = run.output();
        JsonNode root = run.json();
        assertThat(output).contains("== phase 1/5: steady ==", "== phase 5/5: flapping-dependency ==",
                "which layer broke", "results written to");
        assertThat(root.get("phases")).hasSize(5);
        // which layer broke, as the runtime diagnoser says it for the Strata variant, in every phase
        assertThat(output.split("diagnoser \\(strata variant\\): ", -1)).hasSize(6);
        for (JsonNode p : root.get("phases")) {
            assertThat(p.has("diagnosis")).as(p.get("name").asText()).isTrue();
        }

        // slow-payments (seed 001): the catalog does not notice, checkouts are accepted as pending in time.
        JsonNode slowStrata = endpoints(root, "slow-payments", "strata");
        JsonNode slowNaive = endpoints(root, "slow-payments", "naive");
        assertThat(slowStrata.at("/catalog/success_rate").asDouble()).as(output).isGreaterThanOrEqualTo(0.99);
        assertCatalogP99WithinTwiceSteady(root, output, dir);
        long budgetMs = root.at("/settings/checkout_budget_ms").asLong();
        assertThat(slowStrata.at("/checkout/p99_ms").asDouble()).as(output).isLessThanOrEqualTo(budgetMs);
        assertThat(slowStrata.at("/checkout/fallback_rate").asDouble()).as(output).isGreaterThan(0.5);
        assertThat(slowStrata.at("/checkout/success_rate").asDouble()).as(output).isGreaterThanOrEqualTo(0.99);
        assertThat(slowStrata.at("/checkout/fallback_reasons").size()).isPositive();
        boolean naiveCatalogWorse = slowNaive.at("/catalog/success_rate").asDouble()
                < slowStrata.at("/catalog/success_rate").asDouble() - 0.05
                || slowNaive.at("/catalog/p99_ms").asDouble() > 2 * slowStrata.at("/catalog/p99_ms").asDouble();
        assertThat(naiveCatalogWorse).as(output).isTrue();

        // quiet-then-burst (seed 000): Strata's pool kept its connections alive; the naive pool handed out dead ones.
        JsonNode burstStrata = endpoints(root, "quiet-then-burst", "strata");
        JsonNode burstNaive = endpoints(root, "quiet-then-burst", "naive");
        assertThat(burstStrata.at("/catalog/errors").asLong() + burstStrata.at("/catalog/dropped").asLong())
                .as(output).isZero();
        long naiveStale = 0;
        long naiveErrors = 0;
        for (JsonNode endpoint : burstNaive) {
            naiveStale += endpoint.at("/faults").path("NETWORK/stale-connection").asLong();
            naiveErrors += endpoint.at("/errors").asLong();
        }
        assertThat(naiveStale).as(output).isPositive();
        assertThat(variant(root, "quiet-then-burst", "naive").at("/faults_by_layer/NETWORK").asLong())
                .isEqualTo(naiveErrors);

        // flapping-dependency (seed 001's retry storm): Strata's load on the recovering service stays flat.
        double steadyLoad = variant(root, "steady", "strata").at("/downstream_load/recommendations/per_second").asDouble();
        long strataPeak = variant(root, "flapping-dependency", "strata")
                .at("/downstream_load/recommendations/peak_per_second").asLong();
        long naivePeak = variant(root, "flapping-dependency", "naive")
                .at("/downstream_load/recommendations/peak_per_second").asLong();
        assertThat(steadyLoad).isCloseTo(10.0, within(2.0));
        assertThat((double) strataPeak).as(output).isLessThanOrEqualTo(1.5 * steadyLoad);
        assertThat(naivePeak).as(output).isGreaterThan(strataPeak);
        // Which layer broke: the 503s are the dependency's own failures, seen by Strata's retries and by naive's errors.
        assertThat(phase(root, "flapping-dependency").at("/absorbed_faults_by_layer/REMOTE").asLong()).isPositive();
        assertThat(variant(root, "flapping-dependency", "naive").at("/faults_by_layer/REMOTE").asLong()).isPositive();

        // The demo's own verdicts agree (the p99 ratio is checked above, re-measured when the machine was overloaded).
        for (JsonNode check : root.get("checks")) {
            if (!check.get("name").asText().contains("p99 within 2x")) {
                assertThat(check.get("passed").asBoolean()).as(check.toString()).isTrue();
            }
        }

        // Nothing left behind: PostgreSQL stopped, servers, proxies, pools and executors closed.
        assertThat(ProcessHandle.current().descendants().count()).isEqualTo(processesBefore);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<String> leaked = leakedThreads(threadsBefore);
        while (!leaked.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            leaked = leakedThreads(threadsBefore);
        }
        assertThat(leaked).as("threads started by the demo and still running").isEmpty();
    }

    @Test
    void unknownPhaseIsRejectedBeforeAnythingStarts() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new DemoCommand(new PrintStream(screen, true, StandardCharsets.UTF_8)));
        cli.setErr(new java.io.PrintWriter(errors, true, StandardCharsets.UTF_8));
        int exit = cli.execute("--phase", "lunch-break");
        assertThat(exit).isNotZero();
        assertThat(errors.toString(StandardCharsets.UTF_8)).contains("phase: 'lunch-break' is unknown; allowed [steady,");
        assertThat(screen.toString(StandardCharsets.UTF_8)).doesNotContain("starting PostgreSQL");
    }

    /**
     * The strata catalog's p99 while payments are slow stays within twice its steady p99. Both
     * p99s are tails of the machine's own scheduling noise as much as of the demo: on a machine
     * running more than twice as many busy threads as it has cores, one bad stall can decide a
     * short phase's p99. There, and only there, a failure is measured again once, with the two
     * phases alone, before it counts.
     */
    private static void assertCatalogP99WithinTwiceSteady(JsonNode root, String output, Path dir) throws Exception {
        double steady = endpoints(root, "steady", "strata").at("/catalog/p99_ms").asDouble();
        double slow = endpoints(root, "slow-payments", "strata").at("/catalog/p99_ms").asDouble();
        if (slow > 2 * steady && overloaded(root)) {
            Run again = demo(dir.resolve("again/demo.json"), "--quick", "--phase", "steady,slow-payments");
            steady = endpoints(again.json(), "steady", "strata").at("/catalog/p99_ms").asDouble();
            slow = endpoints(again.json(), "slow-payments", "strata").at("/catalog/p99_ms").asDouble();
            output = output + "\n--- measured again on an overloaded machine ---\n" + again.output();
        }
        assertThat(slow).as(output).isLessThanOrEqualTo(2 * steady);
    }

    private static boolean overloaded(JsonNode root) {
        int cores = Runtime.getRuntime().availableProcessors();
        for (String phase : new String[] {"steady", "slow-payments"}) {
            if (phase(root, phase).at("/machine_load_average").asDouble() > 2.0 * cores) {
                return true;
            }
        }
        return false;
    }

    /** What one in-process run of {@code strata demo} printed and wrote. */
    private record Run(String output, JsonNode json) {
    }

    private static Run demo(Path file, String... args) throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--json", file.toString())).toArray(String[]::new);
        int exit = new CommandLine(new DemoCommand(new PrintStream(screen, true, StandardCharsets.UTF_8))).execute(all);
        String output = screen.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(output).isZero();
        return new Run(output, JSON.readTree(Files.readString(file)));
    }

    private static JsonNode phase(JsonNode root, String phase) {
        for (JsonNode p : root.get("phases")) {
            if (p.get("name").asText().equals(phase)) {
                return p;
            }
        }
        throw new AssertionError("no phase " + phase + " in " + root);
    }

    private static JsonNode variant(JsonNode root, String phase, String variant) {
        return phase(root, phase).at("/variants/" + variant);
    }

    private static JsonNode endpoints(JsonNode root, String phase, String variant) {
        return variant(root, phase, variant).get("endpoints");
    }

    /** Platform threads by name and id; virtual threads are not listed by the JVM and end with their task. */
    private static Set<String> platformThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(t -> t.getName() + "#" + t.threadId())
                .collect(Collectors.toSet());
    }

    /**
     * Threads alive now that were not before, except the process-wide singletons the JDK and the
     * PostgreSQL driver start once, on first use, and keep: the virtual-thread scheduler's workers,
     * delay scheduler, unblocker and I/O poller, the process reaper, pgjdbc's cleaner and Strata's one timer.
     */
    private static Set<String> leakedThreads(Set<String> before) {
        return platformThreads().stream()
                .filter(name -> !before.contains(name))
                .filter(name -> !JVM_SINGLETONS.matcher(name).lookingAt())
                .collect(Collectors.toSet());
    }

    private static final java.util.regex.Pattern JVM_SINGLETONS = java.util.regex.Pattern.compile(
            "ForkJoinPool-\\d+-|VirtualThread-unblocker|MasterPoller|ReadPoller|WritePoller|process reaper"
                    + "|InnocuousThread-|Common-Cleaner|PostgreSQL-JDBC-Cleaner|strata-timer");
}
