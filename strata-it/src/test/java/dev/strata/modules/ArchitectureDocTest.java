package dev.strata.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/architecture.md}'s tables say what {@link StrataModules} says, which the other tests
 * of this package hold the code and the descriptors to: the module map (name and Strata
 * dependencies of each module) and which modules each core internal package is exported to.
 */
class ArchitectureDocTest {

    private static final Path DOC = Path.of(System.getProperty("strata.docs", "../docs"), "architecture.md");

    @Test
    void theModuleMapIsTheOneTheTestsEnforce() throws IOException {
        Map<String, Set<String>> documented = new LinkedHashMap<>();
        for (List<String> row : rows("## Module map")) {
            String name = unquote(row.get(1));
            documented.put(name, shortNames(row.get(2).replace("(optional)", "")));
        }
        Map<String, Set<String>> tested = new LinkedHashMap<>();
        StrataModules.MODULES.values().forEach(m -> tested.put(m.name(), shortNames(String.join(",", m.dependsOn()))));
        assertThat(documented).as("module map of %s", DOC).isEqualTo(tested);
    }

    @Test
    void theInternalsTableIsCoresQualifiedExports() throws IOException {
        Map<String, Set<String>> documented = new LinkedHashMap<>();
        for (List<String> row : rows("## Core's internals across modules")) {
            Set<String> targets = row.get(1).equals("nobody") ? Set.of()
                    : shortNames(row.get(1)).stream().map(s -> "dev.strata." + s).collect(Collectors.toSet());
            for (String pkg : row.getFirst().split(",")) {
                if (!targets.isEmpty()) {
                    documented.put(unquote(pkg), targets);
                }
            }
        }
        assertThat(documented).as("internals table of %s", DOC).isEqualTo(StrataModules.CORE_INTERNALS);
    }

    /** The body rows of the first table after {@code heading}, as trimmed cells. */
    private static List<List<String>> rows(String heading) throws IOException {
        List<String> lines = Files.readAllLines(DOC, StandardCharsets.UTF_8);
        int at = lines.indexOf(heading);
        assertThat(at).as("%s has a section %s", DOC, heading).isNotNegative();
        List<String> table = lines.subList(at + 1, lines.size()).stream()
                .dropWhile(line -> !line.startsWith("|")).takeWhile(line -> line.startsWith("|")).toList();
        return table.stream().skip(2) // the header and its rule
                .map(line -> Arrays.stream(line.substring(1, line.length() - 1).split("\\|")).map(String::trim).toList())
                .toList();
    }

    /** "core, config" or "dev.strata.core, ..." or "—" as the set of short names. */
    private static Set<String> shortNames(String cell) {
        return Arrays.stream(cell.split(",")).map(String::trim).map(s -> s.replace("dev.strata.", ""))
                .filter(s -> !s.isEmpty() && !s.equals("—")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String unquote(String cell) {
        return cell.trim().replace("`", "");
    }
}
