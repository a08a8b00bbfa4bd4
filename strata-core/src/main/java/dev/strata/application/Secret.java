package dev.strata.application;

import dev.strata.internal.UserInfo;
import java.net.URI;
import java.util.Objects;

/**
 * A value that must never be printed: a password, a token. {@link #toString()} masks it, so it is
 * safe in log lines, exceptions and {@code toString()} of whatever holds it; {@link #reveal()}
 * hands the value to the one place that needs it (the JDBC driver).
 */
public final class Secret {

    /** What every secret prints as. */
    public static final String MASK = UserInfo.MASK;

    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /**
     * {@code text} with the user-info of every URI in it ({@code redis://:pw@host},
     * {@code jdbc:postgresql://app:pw@db/shop}) replaced by {@link #MASK}, so a URI can be printed
     * in config dumps, errors, events, logs and health; null stays null. The one masking helper:
     * whatever prints a URI that may carry a password passes it through here.
     */
    public static String maskUserInfo(String text) {
        return UserInfo.mask(text);
    }

    /** {@link #maskUserInfo(String)} of the URI's text. */
    public static String maskUserInfo(URI uri) {
        return uri == null ? null : maskUserInfo(uri.toString());
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
