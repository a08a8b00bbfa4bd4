package dev.strata.config;

import java.util.Objects;

/**
 * One configuration key: its name within its section, its type, its default (null = unset means
 * "off" or "the component's default", as {@code doc} says), its allowed range and its
 * documentation, which the reference page {@code docs/config.md} is generated from.
 *
 * @param name snake_case name within the section, e.g. {@code attempts}
 * @param type how it is written
 * @param defaultValue the value when unset, or null
 * @param min smallest allowed value (inclusive) for comparable types, or null
 * @param max largest allowed value (inclusive) for comparable types, or null
 * @param doc one sentence for the reference
 * @param <T> the value's type
 */
public record ConfigKey<T>(String name, ValueType<T> type, T defaultValue, T min, T max, String doc) {

    public ConfigKey {
        if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("name: '" + name + "' is not allowed; must be snake_case");
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
    }

    /** A key without range. */
    public static <T> ConfigKey<T> of(String name, ValueType<T> type, T defaultValue, String doc) {
        return new ConfigKey<>(name, type, defaultValue, null, null, doc);
    }

    /** A key whose values must lie in {@code min..max}. */
    public static <T extends Comparable<? super T>> ConfigKey<T> of(String name, ValueType<T> type, T defaultValue, T min,
                                                                     T max, String doc) {
        return new ConfigKey<>(name, type, defaultValue, min, max, doc);
    }

    /** The default as written in a file, or empty. */
    public String defaultText() {
        return defaultValue == null ? "" : type.format(defaultValue);
    }

    /** The allowed range as written in the reference and in errors, e.g. {@code 1ms..1d}, or empty. */
    public String rangeText() {
        if (type instanceof ValueType.EnumType<?> e) {
            return String.join(", ", e.names());
        }
        if (min == null && max == null) {
            return "";
        }
        return (min == null ? "" : type.format(min)) + ".." + (max == null ? "" : type.format(max));
    }

    /** Checks the range. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void checkRange(Object value) {
        if (min != null && ((Comparable) value).compareTo(min) < 0 || max != null && ((Comparable) value).compareTo(max) > 0) {
            throw new IllegalArgumentException("is out of range; allowed " + rangeText());
        }
    }
}
