package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.stream.Stream;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The JSON contract, its documentation, explains-ordering and bounded memory. */
class DiagnosisContractTest {

    @Test
    void healthyIsTrueAndVerdictsEmptyWhenNothingIsWrong() {
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(EventBus.detached()).build()).start()) {
            Diagnosis d = diagnoser.diagnose();
            assertThat(d.healthy()).isTrue();
            assertThat(d.toJson()).matches("\\{\"generatedAt\":\"[0-9T:.\\-]+Z\",\"healthy\":true,\"verdicts\":\\[\\],\"recent\":\\[\\]}");
        }
    }

    @Test
    void jsonHasTheDocumentedShapeAndParsesBack() {
        ManualClock clock = new ManualClock();
        EventBus bus = EventBus.detached();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            long now = clock.currentTimeMillis();
            // the events a pool and a pipeline publish when an idle connection was closed by the server
            bus.publish(new BasicEvent(now, "orders-db", "pool.stale-failed", Layer.RESOURCE, Level.WARNING,
                    Fault.of(FaultKind.STALE_CONNECTION, "idle 45.0s"),
                    "stale connection reached a caller (idle 45.0s, NETWORK/stale-connection; seen as NETWORK/connection-reset)"));
            bus.publish(new BasicEvent(now, "orders-db", "retry.attempt-failed", Layer.RESILIENCE, Level.WARNING,
                    Fault.of(FaultKind.CONNECTION_RESET), "attempt 1/3 failed: NETWORK/connection-reset; retrying in 10ms"));
            bus.publish(new BasicEvent(now + 20, "orders-db", "retry.succeeded", Layer.RESILIENCE, Level.INFO, null,
                    "attempt 2/3 succeeded after 1 retry"));
            clock.advance(Duration.ofSeconds(1));
            Diagnosis d = diagnoser.diagnose();

            assertThat(d.verdicts()).extracting(Verdict::id)
                    .containsExactly("stale-connections-after-idle", "retries-masking-lower-layer");
            assertThat(d.first().explains()).containsExactly("retries-masking-lower-layer");
            assertThat(d.first().since()).isEqualTo(Instant.ofEpochMilli(now));
            assertThat(d.first().evidence()).containsEntry("longestIdleMillis", 45_000L);
            String json = d.toJson();
            assertThat(json).startsWith("{\"generatedAt\":\"").contains("\"healthy\":false,\"verdicts\":[{\"id\":"
                    + "\"stale-connections-after-idle\",\"layer\":\"NETWORK\",\"dependency\":\"orders-db\",\"summary\":");
            assertThat(json).contains("\"explains\":[\"retries-masking-lower-layer\"],\"fix\":");
            Diagnosis back = Diagnosis.parse(json);
            assertThat(back.generatedAt()).isEqualTo(d.generatedAt());
            assertThat(back.verdicts()).extracting(Verdict::id, Verdict::layer, Verdict::dependency, Verdict::since)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("stale-connections-after-idle", Layer.NETWORK, "orders-db", d.first().since()),
                            org.assertj.core.groups.Tuple.tuple("retries-masking-lower-layer", Layer.NETWORK, "orders-db",
                                    d.verdicts().get(1).since()));

            clock.advance(Duration.ofSeconds(61)); // past the window: the fault is forgotten
            assertThat(diagnoser.diagnose().healthy()).isTrue();
        }
    }

    @Test
    void parseNamesTheFieldThatIsWrong() {
        assertThatIllegalArgumentException().isThrownBy(() -> Diagnosis.parse("{\"generatedAt\":\"2026-01-01T00:00:00Z\"}"))
                .withMessageContaining("verdicts");
        assertThatIllegalArgumentException().isThrownBy(() -> Diagnosis.parse("[1]")).withMessageContaining("object");
    }

    @Test
    void memoryStaysBoundedWhateverTheEventRateAndNumberOfNames() {
        ManualClock clock = new ManualClock();
        EventBus bus = EventBus.detached();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).clock(clock).start()) {
            long now = clock.currentTimeMillis();
            for (int i = 0; i < 200_000; i++) {
                bus.publish(new BasicEvent(now + i / 100, "dep-" + (i % 5_000), "retry.attempt-failed", Layer.RESILIENCE,
                        Level.WARNING, Fault.of(FaultKind.SERVER_ERROR), "attempt 1/3 failed: REMOTE/server-error"));
            }
            assertThat(diagnoser.trackedDependencies()).isLessThanOrEqualTo(Diagnoser.MAX_DEPENDENCIES + 1);
            clock.advance(Duration.ofSeconds(1));
            assertThat(diagnoser.diagnose().verdicts().size()).isLessThanOrEqualTo(3 * (Diagnoser.MAX_DEPENDENCIES + 1));
        }
    }

    @Test
    void everyFindingIdTheDiagnosisCanProduceIsDocumented() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docs")) && root.getParent() != null) {
            root = root.getParent();
        }
        String docs = Files.readString(root.resolve("docs/diagnosis.md"));
        Pattern id = Pattern.compile("(?:verdict|new Finding)\\(\"([a-z0-9-]+)\"");
        int checked = 0;
        // The runtime diagnosis (core) and the operator tools (triage and audit, strata-doctor).
        List<Path> sources = new ArrayList<>();
        for (String dir : List.of("strata-core/src/main/java/dev/strata/diagnosis", "strata-doctor/src/main/java/dev/strata/doctor")) {
            try (Stream<Path> files = Files.walk(root.resolve(dir))) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
            }
        }
        for (Path source : sources) {
            Matcher m = id.matcher(Files.readString(source));
            while (m.find()) {
                assertThat(docs).as("docs/diagnosis.md documents %s (%s)", m.group(1), source.getFileName())
                        .contains("`" + m.group(1) + "`");
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(20);
    }
}
