package dev.strata.cli;

import dev.strata.cli.doctor.DoctorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code strata} command. Each job is a subcommand. */
@Command(name = "strata",
        mixinStandardHelpOptions = true,
        version = "strata 0.1.0-SNAPSHOT",
        description = "Reliable outbound calls, layer by layer, and a diagnosis that names the layer that broke.",
        subcommands = {DemoCommand.class, ShopCommand.class, ProxyCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class StrataCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code; used by tests. */
    public static int run(String... args) {
        return new CommandLine(new StrataCli()).execute(args);
    }
}
