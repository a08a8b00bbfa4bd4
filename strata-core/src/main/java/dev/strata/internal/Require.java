package dev.strata.internal;

import java.time.Duration;

/**
 * Validation for configuration builders. Every failure is an {@link IllegalArgumentException}
 * whose message names the field, the rejected value and what is allowed, e.g.
 * {@code maxAttempts: 0 is out of range; allowed 1..100}.
 */
public final class Require {

    private Require() {
    }

    public static int between(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range; allowed " + min + ".." + max);
        }
        return value;
    }

    public static long between(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range; allowed " + min + ".." + max);
        }
        return value;
    }

    public static double between(String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) { // also rejects NaN
            throw new IllegalArgumentException(field + ": " + value + " is out of range; allowed " + min + ".." + max);
        }
        return value;
    }

    public static Duration between(String field, Duration value, Duration min, Duration max) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": null; allowed " + Durations.format(min) + ".." + Durations.format(max));
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + ": " + Durations.format(value) + " is out of range; allowed "
                    + Durations.format(min) + ".." + Durations.format(max));
        }
        return value;
    }

    public static Duration positive(String field, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(field + ": " + (value == null ? "null" : Durations.format(value))
                    + " is not allowed; must be > 0");
        }
        return value;
    }

    public static Duration nonNegative(String field, Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(field + ": " + (value == null ? "null" : Durations.format(value))
                    + " is not allowed; must be >= 0");
        }
        return value;
    }

    public static <T> T nonNull(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": null is not allowed");
        }
        return value;
    }

    public static String notBlank(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": '" + value + "' is not allowed; must be a non-blank name");
        }
        return value;
    }
}
