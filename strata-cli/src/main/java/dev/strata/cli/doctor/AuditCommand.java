package dev.strata.cli.doctor;

import dev.strata.doctor.AuditReport;
import dev.strata.doctor.ConfigAudit;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code strata doctor audit FILE}: the static audit of an L4 configuration file. Exit code 1
 * when it finds an error, 0 otherwise, 2 when the file cannot be read.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Audit an L4 config file (YAML or .properties) for the seeds' traps before anything runs.")
final class AuditCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The configuration file, e.g. examples/shop.yaml.")
    private Path file;

    @Option(names = "--json", description = "Print JSON for tools instead of text.")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AuditReport report;
        try {
            report = ConfigAudit.audit(read(file));
        } catch (IOException e) {
            err.println("strata doctor audit: cannot read " + file + ": " + e.getMessage());
            err.flush();
            return 2;
        } catch (IllegalArgumentException | YamlEngineException e) {
            err.println("strata doctor audit: " + file + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        if (!json) {
            out.println("strata doctor audit " + file);
        }
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        out.flush();
        return report.errors() > 0 ? 1 : 0;
    }

    /** The file's tree: YAML through snakeyaml-engine, {@code .properties} through dotted keys. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (file.getFileName().toString().endsWith(".properties")) {
            Properties p = new Properties();
            p.load(new StringReader(text));
            Map<String, String> dotted = new LinkedHashMap<>();
            p.stringPropertyNames().stream().sorted().forEach(k -> dotted.put(k, p.getProperty(k)));
            return ConfigAudit.tree(dotted);
        }
        Object doc = new Load(LoadSettings.builder().setLabel(file.toString()).build()).loadFromString(text);
        if (doc == null) {
            return Map.of();
        }
        if (!(doc instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("the top level must be a mapping of sections, e.g. dependencies:");
        }
        return (Map<String, Object>) doc;
    }
}
