package dev.strata.application;

import java.util.Objects;

/**
 * A value that must never be printed: a password, a token. {@link #toString()} masks it, so it is
 * safe in log lines, exceptions and {@code toString()} of whatever holds it; {@link #reveal()}
 * hands the value to the one place that needs it (the JDBC driver).
 */
public final class Secret {

    /** What every secret prints as. */
    public static final String MASK = "******";

    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The secret value; never log it. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return MASK;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
