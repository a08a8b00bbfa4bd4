package dev.strata.config;

/**
 * Where a configuration value came from: a file with its 1-based line and column, or an
 * environment variable (line and column 0).
 *
 * @param source the file name as given to the loader, or {@code env NAME}
 * @param line 1-based line, 0 when not applicable
 * @param column 1-based column, 0 when not applicable
 */
public record ConfigLocation(String source, int line, int column) {

    static ConfigLocation env(String variable) {
        return new ConfigLocation("env " + variable, 0, 0);
    }

    /** {@code shop.yaml:12:7}, {@code shop.properties:4}, or {@code env STRATA_...}. */
    @Override
    public String toString() {
        if (line <= 0) {
            return source;
        }
        return column <= 0 ? source + ":" + line : source + ":" + line + ":" + column;
    }
}
