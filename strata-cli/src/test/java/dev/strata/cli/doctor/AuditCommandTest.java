package dev.strata.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.cli.StrataCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code strata doctor audit} on real files: YAML and properties, text and JSON, exit codes. */
class AuditCommandTest {

    private static int run(StringWriter out, StringWriter err, String... args) {
        return new CommandLine(new StrataCli()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void aYamlFileWithTrapsExitsWithOneAndNamesThemBottomUp(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, """
                connection_budget: {instances: 3, max_connections: 100}
                health: {readiness: [payments]}
                defaults:
                  timeout: 2s
                  retry: {attempts: 3, jitter: none, backoff: {type: fixed, initial: 500ms}, budget: {enabled: false}}
                dependencies:
                  orders:
                    deadline: 6s
                    jdbc: {url: "jdbc:postgresql://db:5432/orders"}
                    pool: {max_size: 20, keepalive: 60s}
                    expect: {server_idle_timeout: 30s}
                  payments:
                    deadline: 6s
                    http: {base_url: "http://payments:8080/"}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).as(err.toString()).isEqualTo(1);
        String text = out.toString();
        assertThat(text).contains("ERROR L1 keepalive-not-below-idle-timeout [dependencies.orders.pool.keepalive]")
                .contains("ERROR L3 retries-without-budget").contains("WARNING L3 retry-without-jitter")
                .contains("ERROR L4 health-depends-on-dependency").contains("fix: ");
        assertThat(text.indexOf("keepalive-not-below")).isLessThan(text.indexOf("retries-without-budget"));

        StringWriter json = new StringWriter();
        assertThat(run(json, err, "doctor", "audit", file.toString(), "--json")).isEqualTo(1);
        assertThat(json.toString()).startsWith("{\"errors\":").contains("\"id\":\"health-depends-on-dependency\"");
    }

    @Test
    void aCleanPropertiesFileExitsWithZero(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shop.properties");
        Files.writeString(file, """
                dependencies.orders.jdbc.url = jdbc:postgresql://db:5432/orders
                dependencies.orders.pool.keepalive = 20s
                dependencies.orders.pool.idle_timeout = 25s
                dependencies.orders.expect.server_idle_timeout = 30s
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).as(out + err.toString()).isZero();
        assertThat(out.toString()).contains("no trap found");
    }

    @Test
    void anUnreadableFileExitsWithTwo(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", dir.resolve("missing.yaml").toString())).isEqualTo(2);
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "dependencies:\n  orders:\n    timeout: soon\n");
        assertThat(run(out, err, "doctor", "audit", bad.toString())).isEqualTo(1);
        assertThat(out.toString()).contains(bad + ":3:14: dependencies.orders.timeout: 'soon' is not a duration");
    }

    @Test
    void aMisspeltKeyAndAnImpossibleRateAreBothReportedWithLineAndColumnBeforeAnyTrap(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, """
                dependencies:
                  payments:
                    timeout: 2s
                    retry: {attemps: 3}
                    breaker: {failure_rate: 150%}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).as(out + err.toString()).isEqualTo(1);
        assertThat(out.toString()).doesNotContain("no trap found")
                .contains("ERROR " + file + ":4:13: dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?")
                .containsPattern("ERROR " + java.util.regex.Pattern.quote(file + ":5:29: dependencies.payments.breaker.failure_rate: '150%'"));
    }

    @Test
    void everyBadValueIsReportedNotOnlyTheFirst(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, """
                defaults:
                  timeout: soon
                dependencies:
                  orders:
                    pool: {max_size: -1}
                  payments:
                    deadline: 4s
                    timeout: 2s
                    retry: {attempts: 3, jitter: none, backoff: {type: fixed, initial: 500ms}}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).isEqualTo(1);
        String text = out.toString();
        assertThat(text).contains(file + ":2:12: defaults.timeout: 'soon'")
                .contains(file + ":5:22: dependencies.orders.pool.max_size")
                // the runtime's own retry-vs-deadline rule, at the deadline's line: the same rule the audit applies
                .contains(file + ":7:15: dependencies.payments.deadline: 4.00s cannot fit 3 attempts");
        assertThat(text.lines().filter(l -> l.startsWith("ERROR ")).count()).isEqualTo(3);
    }

    @Test
    void theShippedShopExamplePassesItsOwnAudit() throws Exception {
        Path example = Path.of(System.getProperty("user.dir")).getParent().resolve("examples/shop.yaml");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", example.toString())).as(out + err.toString()).isZero();
        assertThat(out.toString()).doesNotContain("ERROR").doesNotContain("retries-exceed-deadline");
        assertThat(err.toString()).contains("${SHOP_PAYMENTS_PORT} is not set; audited as 0");
    }

    @Test
    void theConfigReferenceExamplePassesItsAudit(@TempDir Path dir) throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("docs/config.md"));
        int start = doc.indexOf("## An example");
        int from = doc.indexOf("```yaml\n", start) + "```yaml\n".length();
        Path file = dir.resolve("config-example.yaml");
        Files.writeString(file, doc.substring(from, doc.indexOf("```", from)));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).as(out + err.toString()).isZero();
        assertThat(out.toString()).doesNotContain("ERROR");
    }
}
