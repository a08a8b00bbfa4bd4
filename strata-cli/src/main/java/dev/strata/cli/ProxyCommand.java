package dev.strata.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the chaos proxy lands (issue 3); replaced there. */
@Command(name = "proxy", description = "Run the ChaosProxy server standalone (Toxiproxy-compatible API).")
final class ProxyCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("strata proxy: not built yet");
        return 1;
    }
}
