package dev.strata.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A node of the configuration schema: keys and nested sections, each documented. Other modules
 * add sections or keys to the schema's {@link ConfigSchema#root() root} or
 * {@link ConfigSchema#dependency() dependency} section (see {@link ConfigExtension}).
 */
public final class ConfigSection {

    private final String name;
    private String doc;
    private final Map<String, ConfigKey<?>> keys = new LinkedHashMap<>();
    private final Map<String, ConfigSection> sections = new LinkedHashMap<>();

    ConfigSection(String name, String doc) {
        this.name = name;
        this.doc = doc;
    }

    public String name() {
        return name;
    }

    public String doc() {
        return doc;
    }

    /**
     * Adds a key.
     *
     * @throws IllegalStateException when the name is already a key or a section here
     */
    public ConfigSection key(ConfigKey<?> key) {
        Objects.requireNonNull(key, "key");
        if (keys.containsKey(key.name()) || sections.containsKey(key.name())) {
            throw new IllegalStateException("config key '" + key.name() + "' is already defined in section '" + name + "'");
        }
        keys.put(key.name(), key);
        return this;
    }

    /** Adds (or extends an existing) nested section and fills it with {@code body}. */
    public ConfigSection section(String name, String doc, Consumer<ConfigSection> body) {
        if (keys.containsKey(name)) {
            throw new IllegalStateException("'" + name + "' is already a key in section '" + this.name + "'");
        }
        ConfigSection s = sections.computeIfAbsent(name, n -> new ConfigSection(n, doc));
        if (s.doc == null || s.doc.isEmpty()) {
            s.doc = doc;
        }
        body.accept(s);
        return this;
    }

    /** The nested sections, in the order added (read-only). */
    public Map<String, ConfigSection> sections() {
        return Collections.unmodifiableMap(sections);
    }

    /** The keys, in the order added (read-only). */
    public Map<String, ConfigKey<?>> keys() {
        return Collections.unmodifiableMap(keys);
    }

    /** The key at a dotted path below this section, or null. */
    public ConfigKey<?> find(String dottedPath) {
        int dot = dottedPath.indexOf('.');
        if (dot < 0) {
            return keys.get(dottedPath);
        }
        ConfigSection s = sections.get(dottedPath.substring(0, dot));
        return s == null ? null : s.find(dottedPath.substring(dot + 1));
    }
}
