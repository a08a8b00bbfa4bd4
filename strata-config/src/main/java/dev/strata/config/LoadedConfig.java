package dev.strata.config;

import dev.strata.application.InvalidConfigurationException;
import dev.strata.application.Secret;
import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated configuration: its values, and a {@link StrataBuilder} made from them. Code adds
 * what a file cannot say (attachment factories, fallback handlers, liveness checks) to
 * {@link #builder()} before building.
 */
public final class LoadedConfig {

    private static final Pattern FIELD = Pattern.compile("^([A-Za-z_.]+): (.*)$", Pattern.DOTALL);

    private final ConfigSchema schema;
    private final ConfigValues root;
    private final Map<String, ConfigValues> dependencies;
    private final Map<String, ConfigLocation> declared;
    private final Set<String> secrets;

    LoadedConfig(ConfigSchema schema, ConfigValues root, Map<String, ConfigValues> dependencies,
                 Map<String, ConfigLocation> declared, Set<String> secrets) {
        this.schema = schema;
        this.root = root;
        this.dependencies = Collections.unmodifiableMap(dependencies);
        this.declared = declared;
        this.secrets = Set.copyOf(secrets);
    }

    /** Root values (runtime-wide keys and any root sections extensions added). */
    public ConfigValues root() {
        return root;
    }

    /** Each dependency's effective values (its own over the defaults), in declaration order. */
    public Map<String, ConfigValues> dependencies() {
        return dependencies;
    }

    /** A new builder with every configured setting applied; each call returns a fresh builder. */
    public StrataBuilder builder() {
        StrataBuilder b = Strata.builder();
        for (ConfigSchema.RuntimeBinder binder : schema.runtimeBinders()) {
            binder.bind(root, b);
        }
        dependencies.forEach((name, values) ->
                b.dependency(name, settings -> schema.dependencyBinders().forEach(binder -> binder.bind(values, settings))));
        return b;
    }

    /** {@code builder().build()}: the runtime, not started. */
    public Strata build() {
        return builder().build();
    }

    /** Every value set, one per line as {@code key = value (file:line:column)}, secrets masked. */
    public String describe() {
        StringBuilder s = new StringBuilder(root.toString());
        dependencies.values().forEach(v -> s.append(v));
        return s.toString();
    }

    @Override
    public String toString() {
        return "LoadedConfig[" + dependencies.keySet() + "]";
    }

    /** Gives a runtime problem the location and the snake_case key of the value behind it. */
    ConfigProblem locate(InvalidConfigurationException.Problem p, ConfigLocation fallback) {
        String key = p.key();
        String message = p.message();
        ConfigLocation at = null;
        if (key.startsWith(ConfigSchema.DEPENDENCIES + ".")) {
            String rest = key.substring(ConfigSchema.DEPENDENCIES.length() + 1);
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            String rel = dot < 0 ? "" : rest.substring(dot + 1);
            Matcher m = FIELD.matcher(message);
            if (m.matches()) {
                String field = m.group(1);
                String last = field.substring(field.lastIndexOf('.') + 1);
                String snake = last.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
                String candidate = rel.isEmpty() ? snake : rel + "." + snake;
                if (schema.dependency().find(candidate) != null) {
                    rel = candidate;
                    key = ConfigSchema.DEPENDENCIES + "." + name + "." + rel;
                    message = m.group(2);
                } else if (rel.endsWith(last) || rel.equals(field)) {
                    message = m.group(2);
                }
            }
            ConfigValues values = dependencies.get(name);
            if (values != null) {
                at = find(values, rel);
            }
            if (at == null) {
                at = declared.get(name);
            }
        } else {
            at = find(root, key);
            if (at == null && key.equals("connection_budget")) {
                for (ConfigValues v : dependencies.values()) {
                    at = v.location("jdbc.url").orElse(null);
                    if (at != null) {
                        break;
                    }
                }
            }
            if (message.startsWith(key + ": ")) {
                message = message.substring(key.length() + 2);
            }
        }
        return new ConfigProblem(at == null ? fallback == null ? new ConfigLocation("(config)", 0, 0) : fallback : at,
                key, message);
    }

    private static ConfigLocation find(ConfigValues values, String rel) {
        if (rel.isEmpty()) {
            return null;
        }
        Optional<ConfigLocation> exact = values.location(rel);
        if (exact.isPresent()) {
            return exact.get();
        }
        for (Map.Entry<String, ConfigValues.Resolved> e : values.raw().entrySet()) {
            if (e.getKey().startsWith(rel + ".")) {
                return e.getValue().location();
            }
        }
        int dot = rel.lastIndexOf('.');
        return dot < 0 ? null : find(values, rel.substring(0, dot));
    }

    /** Removes every secret's text from a problem's message. */
    ConfigProblem mask(ConfigProblem p) {
        String message = Secret.maskUserInfo(p.message());
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                message = message.replace(secret, Secret.MASK);
            }
        }
        return message.equals(p.message()) ? p : new ConfigProblem(p.location(), p.key(), message);
    }
}
