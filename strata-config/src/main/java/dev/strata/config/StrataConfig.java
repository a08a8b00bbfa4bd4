package dev.strata.config;

import dev.strata.application.InvalidConfigurationException;
import dev.strata.application.Secret;
import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a {@link Strata} runtime from one YAML or properties file, with environment variables
 * overriding single keys.
 *
 * <pre>{@code
 * Strata strata = StrataConfig.load(Path.of("shop.yaml")).build().start();      // file + System.getenv()
 *
 * LoadedConfig config = StrataConfig.loader()
 *     .file(Path.of("shop.yaml"))
 *     .environment(Map.of("STRATA_DEPENDENCIES_PAYMENTS_TIMEOUT", "2s"))
 *     .load();
 * StrataBuilder builder = config.builder();   // add code-only parts (attachments) before build()
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>Every problem is reported at once in a {@link ConfigException}: each with file, line and
 *       column (or the environment variable), the key, the value, and the allowed range or the
 *       key it probably meant; then the runtime's own checks (each pipeline's deadline budget,
 *       cross-field pool checks, the connection budget) with their numbers. Nothing is built or
 *       started when there is any problem.</li>
 *   <li>Secrets (type {@link ValueType#SECRET}) never appear in messages or in
 *       {@link LoadedConfig#describe()}.</li>
 *   <li>{@code ${NAME}} and {@code ${NAME:-fallback}} in a value are replaced from the environment.</li>
 *   <li>An environment variable {@code STRATA_<PATH>} overrides the key at that path, with
 *       {@code _} between segments and inside snake_case names alike
 *       ({@code STRATA_DEPENDENCIES_PAYMENTS_RETRY_ATTEMPTS=5}); the schema resolves which is which.
 *       Variables whose first segment is no top-level key are ignored.</li>
 * </ul>
 */
public final class StrataConfig {

    /** Environment variables with this prefix override keys. */
    public static final String ENV_PREFIX = "STRATA_";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private StrataConfig() {
    }

    /** A loader with the {@link ConfigSchema#standard() standard schema} and no sources yet. */
    public static Loader loader() {
        return new Loader();
    }

    /** Loads {@code file} (YAML, or properties if it ends in {@code .properties}) with {@code System.getenv()} overrides. */
    public static LoadedConfig load(Path file) {
        return loader().file(file).environment(System.getenv()).load();
    }

    /** Collects sources; later sources override earlier ones, the environment overrides all files. */
    public static final class Loader {
        private ConfigSchema schema;
        private final List<String[]> sources = new ArrayList<>(); // {kind, name, text}
        private Map<String, String> environment = Map.of();

        private Loader() {
        }

        /** The schema to validate against; default {@link ConfigSchema#standard()}. */
        public Loader schema(ConfigSchema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /** A file: properties if its name ends in {@code .properties}, YAML otherwise. */
        public Loader file(Path file) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("config file " + file + " cannot be read: " + e.getMessage(), e);
            }
            String name = file.toString();
            return name.endsWith(".properties") ? properties(name, text) : yaml(name, text);
        }

        /** YAML text; {@code name} is how errors refer to it. */
        public Loader yaml(String name, String text) {
            sources.add(new String[] {"yaml", name, text});
            return this;
        }

        /** Java properties text with dotted keys; {@code name} is how errors refer to it. */
        public Loader properties(String name, String text) {
            sources.add(new String[] {"properties", name, text});
            return this;
        }

        /** The environment: overrides ({@code STRATA_...}) and {@code ${NAME}} placeholders; default none. */
        public Loader environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /**
         * Reads, validates and binds everything.
         *
         * @throws ConfigException listing every problem; nothing was built
         */
        public LoadedConfig load() {
            ConfigSchema s = schema == null ? ConfigSchema.standard() : schema;
            List<RawEntry> entries = new ArrayList<>();
            List<ConfigProblem> problems = new ArrayList<>();
            for (String[] source : sources) {
                if (source[0].equals("yaml")) {
                    Sources.yaml(source[1], source[2], entries, problems);
                } else {
                    Sources.properties(source[1], source[2], entries, problems);
                }
            }
            Resolver resolver = new Resolver(s, environment, problems, sources.stream().map(src -> src[1]).toList());
            entries.forEach(resolver::process);
            resolver.environmentOverrides();
            return resolver.finish();
        }

        /** {@link #load()}, then {@link LoadedConfig#build()}. */
        public Strata build() {
            return load().build();
        }
    }

    /** Gives raw entries their meaning, collecting every problem. */
    private static final class Resolver {
        private final ConfigSchema schema;
        private final Map<String, String> environment;
        private final List<ConfigProblem> problems;
        private final Map<String, ConfigValues.Resolved> root = new LinkedHashMap<>();
        private final Map<String, ConfigValues.Resolved> defaults = new LinkedHashMap<>();
        private final Map<String, Map<String, ConfigValues.Resolved>> dependencies = new LinkedHashMap<>();
        private final Map<String, ConfigLocation> declared = new LinkedHashMap<>();
        private final Set<String> secrets = new LinkedHashSet<>();
        private ConfigLocation firstLocation;

        private final List<String> sourceNames;

        Resolver(ConfigSchema schema, Map<String, String> environment, List<ConfigProblem> problems, List<String> sourceNames) {
            this.sourceNames = sourceNames;
            this.schema = schema;
            this.environment = environment;
            this.problems = problems;
        }

        void process(RawEntry e) {
            if (firstLocation == null) {
                firstLocation = e.location();
            }
            List<String> path = e.path();
            String first = path.get(0);
            if (first.equals(ConfigSchema.DEPENDENCIES)) {
                if (path.size() == 1) {
                    if (!e.isEmpty()) {
                        problem(e.location(), first, "must be a mapping of dependency names to their keys");
                    }
                    return;
                }
                String name = path.get(1);
                if (!NAME.matcher(name).matches()) {
                    problem(e.location(), first + "." + name, "is not a dependency name; use letters, digits, '-' and '_'");
                    return;
                }
                declared.putIfAbsent(name, e.location());
                Map<String, ConfigValues.Resolved> target = dependencies.computeIfAbsent(name, n -> new LinkedHashMap<>());
                if (path.size() == 2) {
                    if (!e.isEmpty()) {
                        problem(e.location(), first + "." + name, "must be a mapping of keys (timeout, retry, jdbc, ...), not a value");
                    }
                    return;
                }
                match(schema.dependency(), e, 2, target, List.of());
            } else if (first.equals(ConfigSchema.DEFAULTS)) {
                if (path.size() == 1) {
                    if (!e.isEmpty()) {
                        problem(e.location(), first, "must be a mapping of keys shared by every dependency");
                    }
                    return;
                }
                match(schema.dependency(), e, 1, defaults, List.of());
            } else {
                match(schema.root(), e, 0, root, List.of(ConfigSchema.DEFAULTS, ConfigSchema.DEPENDENCIES));
            }
        }

        /** Walks the entry's path down the schema; returns false when it reported a problem. */
        private boolean match(ConfigSection section, RawEntry e, int from, Map<String, ConfigValues.Resolved> target,
                              List<String> extraNames) {
            List<String> path = e.path();
            ConfigSection at = section;
            for (int j = from; j < path.size(); j++) {
                String seg = path.get(j);
                String soFar = String.join(".", path.subList(0, j + 1));
                ConfigKey<?> key = at.keys().get(seg);
                if (key != null) {
                    if (j != path.size() - 1) {
                        problem(e.keyLocation(j + 1), soFar, "is a value, not a section; '" + path.get(j + 1) + "' cannot go under it");
                        return false;
                    }
                    return leaf(key, e, soFar, String.join(".", path.subList(from, path.size())), target);
                }
                ConfigSection next = at.sections().get(seg);
                if (next == null) {
                    List<String> candidates = new ArrayList<>(at.keys().keySet());
                    candidates.addAll(at.sections().keySet());
                    if (j == 0) {
                        candidates.addAll(extraNames);
                    }
                    String close = Suggest.closest(seg, candidates);
                    problem(e.keyLocation(j), soFar, close != null ? "unknown key, did you mean '" + close + "'?"
                            : "unknown key; allowed here: " + String.join(", ", candidates));
                    return false;
                }
                at = next;
            }
            String dotted = e.dotted();
            if (!e.isEmpty()) {
                List<String> names = new ArrayList<>(at.keys().keySet());
                names.addAll(at.sections().keySet());
                problem(e.location(), dotted, "is a section, not a value; set its keys: " + String.join(", ", names));
                return false;
            }
            target.putIfAbsent(String.join(".", path.subList(from, path.size())), new ConfigValues.Resolved(null, "{}", e.location()));
            return true;
        }

        private boolean leaf(ConfigKey<?> key, RawEntry e, String fullKey, String relKey, Map<String, ConfigValues.Resolved> target) {
            String text;
            if (e.list() != null) {
                if (!key.type().list()) {
                    problem(e.location(), fullKey, "is a list; write a single " + key.type().name());
                    return false;
                }
                text = String.join(",", e.list());
            } else if (e.scalar() == null) {
                problem(e.location(), fullKey, "has no value; write a " + key.type().name()
                        + (key.rangeText().isEmpty() ? "" : " (allowed " + key.rangeText() + ")"));
                return false;
            } else {
                text = e.scalar();
            }
            String resolved = interpolate(text, e.location(), fullKey);
            if (resolved == null) {
                return false;
            }
            String shown = key.type().secret() ? Secret.MASK : "'" + Secret.maskUserInfo(resolved) + "'";
            if (key.type().secret()) {
                secrets.add(resolved);
            }
            Object value;
            try {
                value = key.type().parse(resolved);
                if (!key.type().list()) {
                    key.checkRange(value);
                }
            } catch (IllegalArgumentException invalid) {
                problem(e.location(), fullKey, shown + " " + invalid.getMessage());
                return false;
            }
            target.put(relKey, new ConfigValues.Resolved(value, key.type().secret() ? Secret.MASK : resolved, e.location()));
            return true;
        }

        private String interpolate(String text, ConfigLocation at, String key) {
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String value = environment.get(m.group(1));
                if (value == null) {
                    value = m.group(2);
                }
                if (value == null) {
                    problem(at, key, "refers to ${" + m.group(1) + "}, which is not set in the environment; set it or write ${"
                            + m.group(1) + ":-fallback}");
                    return null;
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }

        /** Turns {@code STRATA_...} variables into entries, in name order, after every file. */
        void environmentOverrides() {
            for (Map.Entry<String, String> var : new TreeMap<>(environment).entrySet()) {
                String name = var.getKey();
                if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
                    continue;
                }
                List<String> tokens = List.of(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).split("_", -1));
                List<String> path = envPath(tokens);
                if (path != null) {
                    process(new RawEntry(path, var.getValue(), null, ConfigLocation.env(name)));
                }
            }
        }

        /** The path an env variable names, resolved against the schema; null when its first segment is not ours. */
        private List<String> envPath(List<String> tokens) {
            List<String> rootNames = new ArrayList<>(schema.root().keys().keySet());
            rootNames.addAll(schema.root().sections().keySet());
            rootNames.add(ConfigSchema.DEFAULTS);
            rootNames.add(ConfigSchema.DEPENDENCIES);
            int n = longestMatch(tokens, 0, rootNames);
            if (n == 0) {
                return null;
            }
            List<String> path = new ArrayList<>();
            String first = String.join("_", tokens.subList(0, n));
            path.add(first);
            int i = n;
            ConfigSection section;
            if (first.equals(ConfigSchema.DEPENDENCIES)) {
                if (i >= tokens.size()) {
                    return path;
                }
                Map<String, String> known = new HashMap<>();
                declared.keySet().forEach(d -> known.put(d.toLowerCase(Locale.ROOT).replace('-', '_'), d));
                int m = longestMatch(tokens, i, known.keySet());
                String dep = m > 0 ? known.get(String.join("_", tokens.subList(i, i + m))) : tokens.get(i);
                path.add(dep);
                i += Math.max(m, 1);
                section = schema.dependency();
            } else if (first.equals(ConfigSchema.DEFAULTS)) {
                section = schema.dependency();
            } else if (schema.root().keys().containsKey(first)) {
                if (i < tokens.size()) {
                    path.add(String.join("_", tokens.subList(i, tokens.size())));
                }
                return path;
            } else {
                section = schema.root().sections().get(first);
            }
            while (i < tokens.size()) {
                List<String> names = new ArrayList<>(section.keys().keySet());
                names.addAll(section.sections().keySet());
                int m = longestMatch(tokens, i, names);
                if (m == 0) {
                    path.add(String.join("_", tokens.subList(i, tokens.size()))); // reported as an unknown key
                    return path;
                }
                String seg = String.join("_", tokens.subList(i, i + m));
                path.add(seg);
                i += m;
                if (section.keys().containsKey(seg)) {
                    if (i < tokens.size()) {
                        path.add(String.join("_", tokens.subList(i, tokens.size())));
                    }
                    return path;
                }
                section = section.sections().get(seg);
            }
            return path;
        }

        private static int longestMatch(List<String> tokens, int from, java.util.Collection<String> names) {
            for (int end = tokens.size(); end > from; end--) {
                if (names.contains(String.join("_", tokens.subList(from, end)))) {
                    return end - from;
                }
            }
            return 0;
        }

        LoadedConfig finish() {
            ConfigValues rootValues = new ConfigValues("", schema.root(), root);
            Map<String, ConfigValues> deps = new LinkedHashMap<>();
            for (String name : declared.keySet()) {
                Map<String, ConfigValues.Resolved> effective = new LinkedHashMap<>(defaults);
                effective.putAll(dependencies.getOrDefault(name, Map.of()));
                deps.put(name, new ConfigValues(ConfigSchema.DEPENDENCIES + "." + name, schema.dependency(), effective));
            }
            LoadedConfig loaded = new LoadedConfig(schema, rootValues, deps, declared, secrets);
            // the runtime's own checks run even when some keys were wrong, so one run reports everything
            List<InvalidConfigurationException.Problem> runtimeProblems;
            try {
                runtimeProblems = loaded.builder().validate(); // invalid keys are absent: their defaults apply
            } catch (IllegalArgumentException invalid) {
                runtimeProblems = List.of(new InvalidConfigurationException.Problem("(root)", invalid.getMessage()));
            }
            for (InvalidConfigurationException.Problem p : runtimeProblems) {
                problems.add(loaded.locate(p, firstLocation));
            }
            if (!problems.isEmpty()) {
                List<ConfigProblem> sorted = new ArrayList<>(problems);
                sorted.sort(java.util.Comparator.comparingInt((ConfigProblem p) -> sourceRank(p.location()))
                        .thenComparingInt(p -> p.location().line()).thenComparingInt(p -> p.location().column()));
                throw new ConfigException(sorted.stream().map(loaded::mask).toList());
            }
            return loaded;
        }

        /** Files in the order given, then environment variables, then problems without a place. */
        private int sourceRank(ConfigLocation at) {
            int i = sourceNames.indexOf(at.source());
            return i >= 0 ? i : at.source().startsWith("env ") ? sourceNames.size() : sourceNames.size() + 1;
        }

        private void problem(ConfigLocation at, String key, String message) {
            problems.add(new ConfigProblem(at, key, message));
        }
    }
}
