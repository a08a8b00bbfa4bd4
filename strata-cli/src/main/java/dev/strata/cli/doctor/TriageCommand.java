package dev.strata.cli.doctor;

import dev.strata.doctor.PostgresTriage;
import dev.strata.doctor.TriageReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code strata doctor triage}: the five-minute checklist against a live PostgreSQL, bottom-up.
 * Exit code 0 when no layer is broken (warnings may be printed), 1 when one is, 2 on bad arguments.
 */
@Command(name = "triage", mixinStandardHelpOptions = true,
        description = "Run the 5-minute production triage against a PostgreSQL server, L1 to L4, stopping at the first"
                + " broken layer but reporting all it saw.")
final class TriageCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--jdbc-url", required = true, paramLabel = "URL",
            description = "jdbc:postgresql://host[:port]/database")
    private String jdbcUrl;

    @Option(names = "--user", paramLabel = "U", description = "User name.")
    private String user;

    @Option(names = "--password-env", paramLabel = "VAR",
            description = "Name of the environment variable holding the password (never on the command line).")
    private String passwordEnv;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "Bound on DNS, TCP connect and login, each (default ${DEFAULT-VALUE}).")
    private String connectTimeout;

    @Option(names = "--idle-in-transaction-limit", paramLabel = "DURATION", defaultValue = "30s",
            description = "A session idle in transaction longer than this is a leak (default ${DEFAULT-VALUE}).")
    private String idleInTransaction;

    @Option(names = "--long-held-limit", paramLabel = "DURATION", defaultValue = "30s",
            description = "An active query older than this holds its connection too long (default ${DEFAULT-VALUE}).")
    private String longHeld;

    @Option(names = "--pool-size", paramLabel = "N", defaultValue = "0",
            description = "Largest pool one application instance should have; more connections from one application"
                    + " name and address means several pools (default: unknown, not checked).")
    private int poolSize;

    @Option(names = "--json", description = "Print JSON for tools instead of text.")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PostgresTriage.Options options;
        try {
            String password = null;
            if (passwordEnv != null) {
                password = System.getenv(passwordEnv);
                if (password == null) {
                    throw new IllegalArgumentException("--password-env: environment variable " + passwordEnv + " is not set");
                }
            }
            options = PostgresTriage.Options.of(jdbcUrl, user, password)
                    .withConnectTimeout(Durations.parse("--connect-timeout", connectTimeout))
                    .withLimits(Durations.parse("--idle-in-transaction-limit", idleInTransaction),
                            Durations.parse("--long-held-limit", longHeld))
                    .withExpectedPoolSize(poolSize);
        } catch (IllegalArgumentException e) {
            err.println("strata doctor triage: " + e.getMessage());
            err.flush();
            return 2;
        }
        TriageReport report = PostgresTriage.run(options);
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        out.flush();
        return report.healthy() ? 0 : 1;
    }

    /** Durations as people type them: {@code 500ms}, {@code 30s}, {@code 2m}. */
    static final class Durations {
        private Durations() {
        }

        static Duration parse(String option, String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m)").matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException(option + ": '" + text + "' is not a duration; use e.g. 500ms, 30s, 2m");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }
    }
}
