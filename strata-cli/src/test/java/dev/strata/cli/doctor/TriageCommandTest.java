package dev.strata.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.cli.StrataCli;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code strata doctor triage} end to end: text, JSON, exit codes, against a real server. */
class TriageCommandTest {

    private static int run(StringWriter out, StringWriter err, String... args) {
        return new CommandLine(new StrataCli()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void reportsAHealthyServerAndALeakedTransaction() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertThat(run(out, err, "doctor", "triage", "--jdbc-url", url, "--user", "postgres")).as(err.toString()).isZero();
            assertThat(out.toString()).contains("L1 NETWORK: ").contains("SELECT 1: median ")
                    .contains("local kernel keepalive: tcp_keepalive_time ").contains("No layer is broken.");

            try (Connection leaked = pg.getPostgresDatabase().getConnection()) {
                leaked.setAutoCommit(false);
                try (Statement s = leaked.createStatement()) {
                    s.execute("SELECT 'left open' AS marker");
                }
                Thread.sleep(1_200);
                StringWriter json = new StringWriter();
                int code = run(json, err, "doctor", "triage", "--jdbc-url", url, "--user", "postgres",
                        "--idle-in-transaction-limit", "1s", "--json");
                assertThat(code).isEqualTo(1);
                assertThat(json.toString()).startsWith("{\"target\":").contains("\"stoppedAt\":\"RESOURCE\"")
                        .contains("\"id\":\"idle-in-transaction\"").contains("left open");
                leaked.rollback();
            }
        }
    }

    @Test
    void badArgumentsExitWithTwoAndNameTheOption() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(out, err, "doctor", "triage", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x",
                "--connect-timeout", "soon");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--connect-timeout").contains("soon");
        code = run(out, err, "doctor", "triage", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/x",
                "--password-env", "STRATA_SURELY_UNSET_VARIABLE");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("STRATA_SURELY_UNSET_VARIABLE");
    }
}
