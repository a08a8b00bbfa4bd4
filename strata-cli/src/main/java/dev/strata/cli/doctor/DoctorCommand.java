package dev.strata.cli.doctor;

import picocli.CommandLine.Command;

/** {@code strata doctor}: which layer broke, asked three ways. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Which layer broke? Triage a PostgreSQL server, audit a config file, watch a running service.",
        subcommands = {AuditCommand.class, TriageCommand.class, WatchCommand.class})
public final class DoctorCommand {
}
