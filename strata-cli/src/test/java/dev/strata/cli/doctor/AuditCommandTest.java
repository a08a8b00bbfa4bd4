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
                defaults:
                  timeout: 2s
                  retry: {attempts: 3, jitter: none, backoff: {initial: 1s}}
                dependencies:
                  orders:
                    deadline: 5s
                    jdbc: {url: "jdbc:postgresql://db:5432/orders"}
                    pool: {max_size: 30, keepalive: 60s}
                    expect: {server_idle_timeout: 30s}
                """);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "doctor", "audit", file.toString())).as(err.toString()).isEqualTo(1);
        String text = out.toString();
        assertThat(text).contains("ERROR L1 keepalive-not-below-idle-timeout [dependencies.orders.pool.keepalive]")
                .contains("ERROR L3 retries-exceed-deadline").contains("WARNING L3 retry-without-jitter")
                .contains("ERROR L4 connection-budget-exceeded").contains("fix: ");
        assertThat(text.indexOf("keepalive-not-below")).isLessThan(text.indexOf("retries-exceed-deadline"));

        StringWriter json = new StringWriter();
        assertThat(run(json, err, "doctor", "audit", file.toString(), "--json")).isEqualTo(1);
        assertThat(json.toString()).startsWith("{\"errors\":").contains("\"id\":\"connection-budget-exceeded\"");
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
        assertThat(run(out, err, "doctor", "audit", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("dependencies.orders.timeout").contains("soon");
    }
}
