package dev.strata.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the demo lands (issue 5); replaced there. */
@Command(name = "demo", description = "Reproduce the seeds' outages in-process: naive code beside Strata.")
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("strata demo: not built yet");
        return 1;
    }
}
