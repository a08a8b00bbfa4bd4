package dev.strata.cli.doctor;

import dev.strata.config.ConfigException;
import dev.strata.config.ConfigProblem;
import dev.strata.config.ConfigSchema;
import dev.strata.config.StrataConfig;
import dev.strata.doctor.AuditReport;
import dev.strata.doctor.ConfigAudit;
import dev.strata.shop.ShopConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * {@code strata doctor audit FILE}: the static audit of an L4 configuration file. It first loads
 * the file through the same schema and checks as the runtime ({@link StrataConfig}), and reports
 * every problem the loader would, with the loader's own {@code file:line:column} messages and
 * did-you-mean, exit code 1; only a file the runtime accepts is judged for traps. Exit code 1
 * when it finds an error, 0 otherwise, 2 when the file cannot be read.
 *
 * <p>A {@code ${NAME}} placeholder without a default that the environment does not set (the
 * shop's ports, set only when it starts) is audited as {@code 0} and named in a note: the file is
 * checked, the value it will get cannot be.
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
            List<String> unset = new ArrayList<>();
            List<ConfigProblem> problems = validate(file, System.getenv(), unset);
            for (String name : unset) {
                err.println("strata doctor audit: note: ${" + name + "} is not set; audited as 0");
            }
            if (!problems.isEmpty()) {
                out.println("strata doctor audit " + file + ": " + problems.size() + " configuration problem(s); the runtime"
                        + " would refuse this file, so its traps are judged once these are fixed");
                problems.forEach(p -> out.println("ERROR " + p));
                out.flush();
                err.flush();
                return 1;
            }
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

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");

    /**
     * Every problem the runtime's loader finds in {@code file} (none when it loads), with the
     * loader's messages. Placeholders without a default and unset in {@code environment} are
     * set to {@code 0} and added to {@code unset}.
     */
    static List<ConfigProblem> validate(Path file, Map<String, String> environment, List<String> unset) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Map<String, String> env = new LinkedHashMap<>(environment);
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            if (m.group(2) == null && !env.containsKey(m.group(1))) {
                env.put(m.group(1), "0");
                unset.add(m.group(1));
            }
        }
        try {
            // the schema `strata shop --config` loads with: the standard one (and its extensions) plus the shop's section
            StrataConfig.loader().schema(ConfigSchema.standard().with(ShopConfig.SCHEMA)).file(file).environment(env).load();
            return List.of();
        } catch (ConfigException e) {
            return e.locatedProblems().stream().distinct().toList(); // one message per problem, however many entries led to it
        }
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
