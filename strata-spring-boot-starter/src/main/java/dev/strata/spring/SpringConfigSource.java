package dev.strata.spring;

import dev.strata.config.ConfigException;
import dev.strata.config.ConfigLocation;
import dev.strata.config.ConfigProblem;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.boot.origin.TextResourceOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;

/**
 * The second spelling of a Strata configuration: every {@code strata.*} key of Spring's
 * {@link ConfigurableEnvironment} (application.yml, application.properties, profiles, system
 * properties, test properties) handed to strata-config's loader, so the schema, the defaults and
 * the error messages are exactly those of a Strata YAML file.
 *
 * <p>How it works: the keys are flattened into one generated properties text, one key per line
 * (Spring's kebab-case {@code max-size} becomes Strata's {@code max_size}, indexed list entries
 * {@code fallback[0]} are joined), loaded after the optional {@code strata.config-file}, and every
 * problem the loader reports on a generated line is given back the place Spring knows for that
 * key ({@code classpath:application.yml:12:7}). Environment variables {@code STRATA_*} override keys
 * as strata-config describes; Spring's {@code ${...}} placeholders are resolved first, except
 * Strata's own {@code ${NAME:-fallback}} form, which strata-config resolves.
 *
 * <p>Keys of the starter itself, not of the schema: {@code strata.config-file} (a Strata YAML or
 * properties file loaded first) and {@code strata.spring.*} (see {@link StrataSpringSettings}).
 * {@code spring.datasource.url/username/password} fill the JDBC keys of the
 * {@linkplain StrataSpringSettings#primaryDataSource() primary} dependency when it sets none.
 */
public final class SpringConfigSource {

    /** The starter's own key: a Strata YAML or properties file loaded before the {@code strata.*} keys. */
    public static final String CONFIG_FILE = "strata.config-file";
    /** Prefix of the starter's own keys, which are not part of the Strata schema. */
    public static final String SPRING_PREFIX = "strata.spring.";
    static final String GENERATED = "(spring strata.* keys)";

    private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]$");
    private static final Pattern RESOURCE = Pattern.compile("(class path resource|file|URL) \\[(.*)]");
    private static final Pattern STRATA_PLACEHOLDER = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:-");

    private record Entry(String value, ConfigLocation origin) {
    }

    private SpringConfigSource() {
    }

    /**
     * Loads and validates the configuration of {@code environment}.
     *
     * @throws ConfigException listing every problem, each at its place in the user's files
     */
    public static LoadedConfig load(ConfigurableEnvironment environment) {
        Map<String, Entry> keys = collect(environment);
        StrataSpringSettings settings = StrataSpringSettings.of(environment);
        mapSpringDataSource(environment, keys, settings);

        StringBuilder text = new StringBuilder();
        List<ConfigLocation> lines = new ArrayList<>();
        keys.forEach((key, entry) -> {
            text.append(key).append(" = ").append(entry.value().replace('\n', ' ').replace('\r', ' ')).append('\n');
            lines.add(entry.origin());
        });
        StrataConfig.Loader loader = StrataConfig.loader().schema(settings.schema());
        String file = environment.getProperty(CONFIG_FILE);
        if (file != null && !file.isBlank()) {
            loader.file(Path.of(file.strip()));
        }
        loader.properties(GENERATED, text.toString()).environment(System.getenv());
        try {
            return loader.load();
        } catch (ConfigException problems) {
            throw new ConfigException(problems.locatedProblems().stream().map(p -> relocate(p, lines)).toList());
        }
    }

    /** Every {@code strata.*} key without its prefix, in Strata spelling, highest-precedence source first. */
    static Map<String, Entry> collect(ConfigurableEnvironment environment) {
        Map<String, Entry> found = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, Entry>> lists = new LinkedHashMap<>();
        for (PropertySource<?> source : environment.getPropertySources()) {
            if (!(source instanceof EnumerablePropertySource<?> enumerable)
                    || source.getName().equals(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)
                    || source.getName().equals("configurationProperties")) {
                continue; // STRATA_* variables are strata-config's own overrides; the attached view repeats every source
            }
            for (String name : enumerable.getPropertyNames()) {
                if (!name.startsWith("strata.") || name.equals(CONFIG_FILE) || name.startsWith(SPRING_PREFIX)) {
                    continue;
                }
                Object raw = source.getProperty(name);
                String value = raw == null ? "" : resolve(environment, raw.toString());
                ConfigLocation at = origin(source, name);
                String key = strataKey(name.substring("strata.".length()));
                Matcher index = INDEX.matcher(key);
                if (index.find()) {
                    String listKey = key.substring(0, index.start());
                    if (found.containsKey(listKey)) {
                        continue;
                    }
                    TreeMap<Integer, Entry> items = lists.computeIfAbsent(listKey, k -> new TreeMap<>());
                    items.putIfAbsent(Integer.parseInt(index.group(1)), new Entry(value, at));
                } else if (!lists.containsKey(key)) {
                    found.putIfAbsent(key, new Entry(value, at));
                }
            }
        }
        lists.forEach((key, items) -> found.put(key, new Entry(
                String.join(",", items.values().stream().map(Entry::value).toList()), items.firstEntry().getValue().origin())));
        return found;
    }

    /** {@code spring.datasource.*} fill the primary dependency's JDBC keys that {@code strata.*} leaves unset. */
    private static void mapSpringDataSource(ConfigurableEnvironment environment, Map<String, Entry> keys,
                                            StrataSpringSettings settings) {
        String url = environment.getProperty("spring.datasource.url");
        if (url == null || url.isBlank()) {
            return;
        }
        String target = settings.primaryDataSource().orElseGet(() -> {
            List<String> jdbc = keys.keySet().stream().filter(k -> k.matches("dependencies\\.[^.]+\\.jdbc\\.url"))
                    .map(k -> k.substring("dependencies.".length(), k.length() - ".jdbc.url".length())).toList();
            return jdbc.size() == 1 ? jdbc.get(0) : StrataSpringSettings.DEFAULT_DATASOURCE;
        });
        String prefix = "dependencies." + target + ".jdbc.";
        putSpring(environment, keys, prefix + "url", "spring.datasource.url");
        putSpring(environment, keys, prefix + "user", "spring.datasource.username");
        putSpring(environment, keys, prefix + "password", "spring.datasource.password");
    }

    private static void putSpring(ConfigurableEnvironment environment, Map<String, Entry> keys, String strataKey,
                                  String springKey) {
        String value = environment.getProperty(springKey);
        if (value == null || keys.containsKey(strataKey)) {
            return;
        }
        ConfigLocation at = null;
        for (PropertySource<?> source : environment.getPropertySources()) {
            if (source.containsProperty(springKey)) {
                at = origin(source, springKey);
                break;
            }
        }
        keys.put(strataKey, new Entry(value, at));
    }

    /** Spring's kebab-case becomes Strata's snake_case, except in dependency names, which are kept as written. */
    static String strataKey(String springKey) {
        String[] segments = springKey.split("\\.", -1);
        for (int i = 0; i < segments.length; i++) {
            boolean dependencyName = i == 1 && segments[0].equals("dependencies");
            if (!dependencyName) {
                segments[i] = segments[i].replace('-', '_');
            }
        }
        return String.join(".", segments);
    }

    private static String resolve(ConfigurableEnvironment environment, String value) {
        // Strata's ${NAME:-fallback} means "NAME or fallback"; Spring would read ":-fallback" as the default "-fallback"
        return value.contains("${") && !STRATA_PLACEHOLDER.matcher(value).find() ? environment.resolvePlaceholders(value) : value;
    }

    private static ConfigLocation origin(PropertySource<?> source, String name) {
        Origin origin = OriginLookup.getOrigin(source, name);
        if (origin instanceof TextResourceOrigin text && text.getResource() != null) {
            Resource resource = text.getResource();
            String file = fileName(resource);
            TextResourceOrigin.Location location = text.getLocation();
            return location == null ? new ConfigLocation(file, 0, 0)
                    : new ConfigLocation(file, location.getLine() + 1, location.getColumn() + 1);
        }
        return new ConfigLocation(origin != null ? origin.toString() + " (" + name + ")" : source.getName() + " (" + name + ")", 0, 0);
    }

    /** {@code classpath:application.yml} or the file's path, as a user would name it. */
    private static String fileName(Resource resource) {
        if (resource instanceof ClassPathResource cp) {
            return "classpath:" + cp.getPath();
        }
        String description = resource.getDescription();
        Matcher named = RESOURCE.matcher(description);
        if (named.matches()) {
            return (named.group(1).equals("class path resource") ? "classpath:" : "") + named.group(2);
        }
        return description;
    }

    /** A problem on a generated line goes back to where Spring read that key. */
    private static ConfigProblem relocate(ConfigProblem problem, List<ConfigLocation> lines) {
        ConfigLocation at = problem.location();
        if (!at.source().equals(GENERATED) || at.line() < 1 || at.line() > lines.size()) {
            return problem;
        }
        ConfigLocation origin = Optional.ofNullable(lines.get(at.line() - 1)).orElse(at);
        return new ConfigProblem(origin, "strata." + problem.key(), problem.message());
    }
}
