package dev.strata.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated values of one scope: the root, or one dependency (its own values over the shared
 * {@code defaults}). Keys are dotted paths relative to the scope, e.g. {@code retry.attempts}.
 * Binders read from here; every value has already been parsed and range-checked.
 */
public final class ConfigValues {

    /** A value and where it came from. */
    record Resolved(Object value, String raw, ConfigLocation location) {
    }

    private final String scope;
    private final ConfigSection section;
    private final Map<String, Resolved> values;

    ConfigValues(String scope, ConfigSection section, Map<String, Resolved> values) {
        this.scope = scope;
        this.section = section;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The scope's prefix, e.g. {@code dependencies.payments}, or empty for the root. */
    public String scope() {
        return scope;
    }

    /** Whether the key was set in a file or the environment. */
    public boolean isSet(String key) {
        return values.containsKey(key);
    }

    /** Whether any key in the section {@code sectionPath} (e.g. {@code retry.budget}) was set. */
    public boolean anySet(String sectionPath) {
        String prefix = sectionPath + ".";
        for (String k : values.keySet()) {
            if (k.startsWith(prefix) || k.equals(sectionPath)) {
                return true;
            }
        }
        return false;
    }

    /** The value if set. */
    public <T> Optional<T> find(String key, Class<T> type) {
        Resolved r = values.get(key);
        return r == null ? Optional.empty() : Optional.of(type.cast(r.value()));
    }

    /**
     * The value if set, else the key's default.
     *
     * @throws IllegalArgumentException when the schema has no such key
     * @throws IllegalStateException when it is neither set nor has a default
     */
    public <T> T get(String key, Class<T> type) {
        Resolved r = values.get(key);
        if (r != null) {
            return type.cast(r.value());
        }
        ConfigKey<?> k = section.find(key);
        if (k == null) {
            throw new IllegalArgumentException("no config key '" + key + "' in " + (scope.isEmpty() ? "the root" : scope));
        }
        if (k.defaultValue() == null) {
            throw new IllegalStateException((scope.isEmpty() ? "" : scope + ".") + key + " is not set and has no default");
        }
        return type.cast(k.defaultValue());
    }

    /** Where the key was set, if it was. */
    public Optional<ConfigLocation> location(String key) {
        Resolved r = values.get(key);
        return r == null ? Optional.empty() : Optional.of(r.location());
    }

    /** The keys set in this scope. */
    public Set<String> keys() {
        return values.keySet();
    }

    Map<String, Resolved> raw() {
        return values;
    }

    /** Every set value as {@code key = value (location)}, secrets masked. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        values.forEach((k, r) -> {
            ConfigKey<?> key = section.find(k);
            String shown = key != null && key.type().secret() ? dev.strata.application.Secret.MASK
                    : dev.strata.application.Secret.maskUserInfo(r.raw()); // a URI's password too
            s.append(scope.isEmpty() ? "" : scope + ".").append(k).append(" = ").append(shown).append(" (")
                    .append(r.location()).append(")\n");
        });
        return s.toString();
    }
}
