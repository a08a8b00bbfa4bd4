package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.shop.ShopFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code strata shop --config FILE} with a broken file: every problem is reported at once with
 * its file, line and column, the command exits 2, and nothing is started (no PostgreSQL, no port).
 */
class ShopConfigTest {

    @Test
    void everyProblemOfABadFileIsReportedAtOnceAndNothingStarts(@TempDir Path dir) throws Exception {
        String shipped = Files.readString(Path.of("..", "examples", "shop.yaml"));
        assertThat(ShopFile.bundled().yaml()).as("the jar's built-in copy is examples/shop.yaml").isEqualTo(shipped);
        String broken = shipped
                .replace("  port: 8080", "  porrt: 8080")                                   // a typo in the shop's section
                .replace("    retry: {attempts: 2, backoff: {type: exponential, initial: 500ms",
                        "    retry: {attemps: 2, backoff: {type: exponential, initial: 500ms") // a typo in Strata's part
                .replace("    deadline: 2s\n    timeout: 1s", "    deadline: soon\n    timeout: 1s")  // not a duration
                .replace("    deadline: 3s\n    timeout: 1s", "    deadline: 1500ms\n    timeout: 1s"); // 3 attempts cannot fit
        assertThat(broken).isNotEqualTo(shipped);
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, broken);

        long processesBefore = ProcessHandle.current().descendants().count();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new ShopCommand(new PrintStream(out, true, StandardCharsets.UTF_8)))
                .setErr(new PrintWriter(err, true)).execute("--config", file.toString(), "--port", "0", "--chaos-port", "0");

        String errors = err.toString();
        assertThat(exit).as(errors).isEqualTo(2);
        assertThat(errors).contains(
                file + ":7:3: shop.porrt: unknown key, did you mean 'port'?",
                "dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?",
                "dependencies.inventory.deadline: 'soon' is not a duration",
                "dependencies.recommendations.deadline: 1.50s cannot fit 3 attempts");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("PostgreSQL", "listening");
        assertThat(ProcessHandle.current().descendants().count()).isEqualTo(processesBefore);
    }

    @Test
    void aMissingFileOrAPortOutOfRangeIsAUsageError(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ShopCommand(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8))).setErr(new PrintWriter(err, true));
        assertThat(cli.execute("--config", dir.resolve("nowhere.yaml").toString())).isEqualTo(2);
        assertThat(cli.execute("--port", "70000")).isEqualTo(2);
        assertThat(err.toString()).contains("--config: '" + dir.resolve("nowhere.yaml") + "' cannot be read")
                .contains("--port: 70000 is out of range; allowed 0 to 65535");
    }
}
