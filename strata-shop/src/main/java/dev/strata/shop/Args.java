package dev.strata.shop;

import java.time.Duration;

/**
 * Argument checks of the shop's own types. The shop uses only Strata's public API, so it keeps
 * these few lines instead of reaching into the library's internal helpers.
 */
final class Args {

    private Args() {
    }

    static <T> T nonNull(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": must not be null");
        }
        return value;
    }

    static String notBlank(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": '" + value + "' is not allowed; must be a non-blank text");
        }
        return value;
    }

    static int between(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " is out of range; allowed " + min + " to " + max);
        }
        return value;
    }

    static Duration between(String field, Duration value, Duration min, Duration max) {
        nonNull(field, value);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + ": " + value.toMillis() + " ms is out of range; allowed "
                    + min.toMillis() + " ms to " + max.toMillis() + " ms");
        }
        return value;
    }
}
