/**
 * The {@code strata} command line: {@code demo}, {@code shop}, {@code doctor}, {@code proxy}. A thin
 * picocli front over the shop, the doctor and chaos; the launcher runs it from one shaded jar on
 * the class path, this descriptor lets it run on the module path too.
 */
module dev.strata.cli {
    requires dev.strata.shop;
    requires dev.strata.doctor;
    requires dev.strata.chaos;
    requires info.picocli;
    requires org.snakeyaml.engine;   // the audit command reads the audited file's YAML itself
    requires jdk.unsupported;        // sun.misc.Signal: strata shop's second Ctrl-C forces the shutdown

    // An application, not a library: nothing is exported. picocli reads and sets the commands'
    // annotated fields reflectively.
    opens dev.strata.cli to info.picocli;
    opens dev.strata.cli.doctor to info.picocli;
}
