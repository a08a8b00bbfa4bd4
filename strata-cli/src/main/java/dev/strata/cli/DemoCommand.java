package dev.strata.cli;

import dev.strata.shop.demo.Demo;
import dev.strata.shop.demo.DemoSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code strata demo}: the seeds' outages reproduced in this process, the naive order service
 * beside the same service on Strata, with a table per phase and, with {@code --json}, the results
 * in a file for tools and tests.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Reproduce the seeds' outages in-process: naive code beside Strata.",
                "Starts PostgreSQL and three HTTP services on 127.0.0.1; nothing to install. Time is compressed 10x."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "Shorter phases, same script and ratios (under a minute).")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Option(names = "--phase", paramLabel = "NAME", split = ",",
            description = "Run only these phases (repeatable or comma-separated): ${COMPLETION-CANDIDATES}.",
            completionCandidates = PhaseNames.class)
    List<String> phases = List.of();

    @Option(names = "--dashboard", arity = "0..1", paramLabel = "PORT", fallbackValue = "0",
            description = "Serve the live dashboard of the Strata variant on 127.0.0.1 (PORT, default any free one) "
                    + "while the phases run, and print its URL.")
    Integer dashboard;

    @Spec
    CommandSpec spec;

    private final PrintStream out;

    DemoCommand() {
        this(System.out);
    }

    DemoCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        for (String phase : phases) {
            if (!Demo.phaseNames().contains(phase)) {
                // A usage error, reported as one (message and usage, no stack trace).
                throw new ParameterException(spec.commandLine(),
                        "phase: '" + phase + "' is unknown; allowed " + Demo.phaseNames());
            }
        }
        DemoSettings settings = quick ? DemoSettings.quick() : DemoSettings.standard();
        boolean live = out == System.out && isTerminal();
        Demo.DemoResult result = Demo.run(settings, new LinkedHashSet<>(phases), out, live, dashboard == null ? -1 : dashboard);
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.writeString(json, result.toJson(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IOException("could not write " + json + ": " + e.getMessage(), e);
            }
            out.println("results written to " + json);
        }
        return 0;
    }

    /**
     * Whether standard output is an interactive terminal, so progress lines can be redrawn in place.
     * {@code Console.isTerminal()} exists from JDK 22 on (where a console is returned even for a
     * pipe); on 21 a non-null console already means a terminal.
     */
    private static boolean isTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException olderJdk) {
            return true;
        }
    }

    /** The phase names, for the help text. */
    static final class PhaseNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Demo.phaseNames().iterator();
        }
    }
}
