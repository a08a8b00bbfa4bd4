package dev.strata.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/** Reads YAML and properties text into {@link RawEntry}s with their locations. */
final class Sources {

    private Sources() {
    }

    /** YAML through snakeyaml-engine's composer, which keeps every node's line and column. */
    static void yaml(String name, String text, List<RawEntry> out, List<ConfigProblem> problems) {
        LoadSettings settings = LoadSettings.builder().setLabel(name).setAllowDuplicateKeys(true)
                .setMaxAliasesForCollections(10).setCodePointLimit(4 * 1024 * 1024).build();
        Optional<Node> root;
        try {
            // What snakeyaml's lowlevel.Compose#composeString does, spelled out: the module does not
            // export its lowlevel package, so it cannot be used on the module path.
            root = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, new StringReader(text))))
                    .getSingleNode();
        } catch (MarkedYamlEngineException syntax) {
            Mark mark = syntax.getProblemMark().or(syntax::getContextMark).orElse(null);
            problems.add(new ConfigProblem(mark == null ? new ConfigLocation(name, 0, 0) : location(name, mark), "(yaml)",
                    "not valid YAML: " + syntax.getProblem()));
            return;
        } catch (YamlEngineException syntax) {
            problems.add(new ConfigProblem(new ConfigLocation(name, 0, 0), "(yaml)", "not valid YAML: " + syntax.getMessage()));
            return;
        }
        if (root.isEmpty()) {
            return;
        }
        Node node = root.get();
        if (!(node instanceof MappingNode) && !isNull(node)) {
            problems.add(new ConfigProblem(location(name, node), "(root)", "the file must be a mapping of keys, e.g. dependencies:"));
            return;
        }
        walk(name, new ArrayList<>(), new ArrayList<>(), node, out, problems);
    }

    private static void walk(String name, List<String> path, List<ConfigLocation> keys, Node node, List<RawEntry> out,
                             List<ConfigProblem> problems) {
        if (node instanceof MappingNode mapping) {
            if (mapping.getValue().isEmpty() && !path.isEmpty()) {
                out.add(new RawEntry(path, null, null, location(name, node), keys));
            }
            Map<String, Node> seen = new HashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                    problems.add(new ConfigProblem(location(name, tuple.getKeyNode()), String.join(".", path),
                            "keys must be plain words, not lists or mappings"));
                    continue;
                }
                String key = keyNode.getValue();
                List<String> child = new ArrayList<>(path);
                child.add(key);
                Node previous = seen.put(key, keyNode);
                if (previous != null) {
                    problems.add(new ConfigProblem(location(name, keyNode), String.join(".", child),
                            "duplicate key; already set at " + location(name, previous)));
                    continue;
                }
                List<ConfigLocation> childKeys = new ArrayList<>(keys);
                childKeys.add(location(name, keyNode));
                walk(name, child, childKeys, tuple.getValueNode(), out, problems);
            }
        } else if (node instanceof SequenceNode sequence) {
            List<String> items = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                if (item instanceof ScalarNode scalar) {
                    items.add(scalar.getValue());
                } else {
                    problems.add(new ConfigProblem(location(name, item), String.join(".", path),
                            "list items must be plain values"));
                }
            }
            out.add(new RawEntry(path, null, items, location(name, node), keys));
        } else if (node instanceof ScalarNode scalar) {
            out.add(new RawEntry(path, isNull(scalar) ? null : scalar.getValue(), null, location(name, node), keys));
        }
    }

    private static boolean isNull(Node node) {
        return node.getTag().equals(Tag.NULL);
    }

    private static ConfigLocation location(String name, Node node) {
        return node.getStartMark().map(m -> location(name, m)).orElse(new ConfigLocation(name, 0, 0));
    }

    private static ConfigLocation location(String name, Mark mark) {
        return new ConfigLocation(name, mark.getLine() + 1, mark.getColumn() + 1);
    }

    /**
     * Java properties ({@code dependencies.payments.timeout = 2s}), read line by line so every
     * value keeps its line and column: {@code #} and {@code !} comments, {@code =}, {@code :} or
     * blank as separator, a trailing backslash continues the line. Lists are comma-separated.
     */
    static void properties(String name, String text, List<RawEntry> out, List<ConfigProblem> problems) {
        String[] lines = text.split("\r\n|\r|\n", -1);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = stripLeading(lines[i]);
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            StringBuilder logical = new StringBuilder(line);
            while (endsWithContinuation(logical) && i + 1 < lines.length) {
                logical.setLength(logical.length() - 1);
                logical.append(stripLeading(lines[++i]));
            }
            String l = logical.toString();
            int sep = -1;
            for (int j = 0; j < l.length(); j++) {
                char c = l.charAt(j);
                if (c == '=' || c == ':' || Character.isWhitespace(c)) {
                    sep = j;
                    break;
                }
            }
            String key = (sep < 0 ? l : l.substring(0, sep)).trim();
            String value = "";
            int valueColumn = l.length() + 1;
            if (sep >= 0) {
                int v = sep;
                while (v < l.length() && Character.isWhitespace(l.charAt(v))) {
                    v++;
                }
                if (v < l.length() && (l.charAt(v) == '=' || l.charAt(v) == ':')) {
                    v++;
                }
                while (v < l.length() && Character.isWhitespace(l.charAt(v))) {
                    v++;
                }
                value = l.substring(v).strip();
                valueColumn = v + 1 + (lines[lineNo - 1].length() - stripLeading(lines[lineNo - 1]).length());
            }
            ConfigLocation at = new ConfigLocation(name, lineNo, valueColumn);
            Integer previous = seen.put(key, lineNo);
            if (previous != null) {
                problems.add(new ConfigProblem(at, key, "duplicate key; already set at " + name + ":" + previous));
                continue;
            }
            out.add(new RawEntry(List.of(key.split("\\.", -1)), value.isEmpty() ? null : value, null, at));
        }
    }

    private static boolean endsWithContinuation(CharSequence s) {
        int backslashes = 0;
        for (int i = s.length() - 1; i >= 0 && s.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static String stripLeading(String s) {
        return s.stripLeading();
    }
}
