package dev.strata.chaos;

import java.util.Locale;

/**
 * Which way the bytes a toxic acts on travel, named as Toxiproxy names its {@code stream}
 * field: {@link #UPSTREAM} is client to server, {@link #DOWNSTREAM} is server to client.
 */
public enum Direction {
    /** From the client through the proxy to the upstream server. */
    UPSTREAM,
    /** From the upstream server through the proxy back to the client. */
    DOWNSTREAM;

    /** The wire name used in JSON: {@code upstream} or {@code downstream}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name, ignoring case.
     *
     * @throws IllegalArgumentException naming the field and the allowed values
     */
    public static Direction fromWireName(String value) {
        // Case-insensitive: the official Java client sends UPSTREAM / DOWNSTREAM.
        String lower = value == null ? "" : value.toLowerCase(Locale.ROOT);
        if ("upstream".equals(lower)) {
            return UPSTREAM;
        }
        if ("downstream".equals(lower)) {
            return DOWNSTREAM;
        }
        throw new IllegalArgumentException("stream: '" + value + "' is not allowed; allowed upstream, downstream");
    }
}
