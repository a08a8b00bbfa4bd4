package dev.strata.diagnosis;

/** How much a finding matters to the person reading it. */
public enum Severity {
    /** Worth knowing; nothing to fix. */
    INFO,
    /** A trap that has not sprung yet, or a number outside the healthy range. */
    WARNING,
    /** Broken now, or certain to break: the layer it belongs to is the one to fix. */
    ERROR;

    /** The lower-case name used in text and JSON, e.g. {@code warning}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
