package dev.strata.config;

import java.util.List;

/**
 * One value as a source wrote it, before the schema gives it a meaning: a dotted path and either a
 * scalar, a list of scalars, or nothing (an empty section or a declaration such as {@code payments:}).
 */
record RawEntry(List<String> path, String scalar, List<String> list, ConfigLocation location, List<ConfigLocation> keyLocations) {

    RawEntry {
        path = List.copyOf(path);
        list = list == null ? null : List.copyOf(list);
        keyLocations = keyLocations == null ? null : List.copyOf(keyLocations);
    }

    /** An entry whose keys are all at the value's location (properties, environment). */
    RawEntry(List<String> path, String scalar, List<String> list, ConfigLocation location) {
        this(path, scalar, list, location, null);
    }

    /** Where the key at {@code index} of the path was written. */
    ConfigLocation keyLocation(int index) {
        return keyLocations == null || index >= keyLocations.size() ? location : keyLocations.get(index);
    }

    boolean isEmpty() {
        return scalar == null && list == null;
    }

    String dotted() {
        return String.join(".", path);
    }
}
