package dev.strata.call;

import dev.strata.call.internal.CallState;
import java.util.Locale;

/**
 * How much the caller needs a piece of work to happen, so that under overload the least needed
 * work is refused first. Google's SRE book calls this criticality; it travels with the request
 * (the server edge reads it from the {@value #HEADER} header) and every pipeline the request calls
 * through sheds by it.
 *
 * <p>The criticality in force is per thread, beside the {@link Deadline} and the
 * {@link CallContext}: {@link #enter()} makes one current until its scope closes. Work with none
 * in force is {@link #DEFAULT}.
 */
public enum Criticality {
    /** Work whose failure the user sees at once (taking an order): refused last. */
    CRITICAL,
    /** Ordinary work: refused after sheddable work, before critical work. */
    DEFAULT,
    /** Work that can be dropped without harm (recommendations, prefetch): refused first. */
    SHEDDABLE;

    /** The request header that carries a criticality between services: {@code critical}, {@code default} or {@code sheddable}. */
    public static final String HEADER = "Strata-Criticality";

    private static final Criticality[] VALUES = values();

    /** The criticality in force on this thread, {@link #DEFAULT} when none is. */
    public static Criticality current() {
        Criticality c = CallState.current().criticality;
        return c == null ? DEFAULT : c;
    }

    /** Makes this criticality current until the returned scope closes; use try-with-resources. */
    public Deadline.Scope enter() {
        CallState state = CallState.current();
        Criticality previous = state.criticality;
        state.criticality = this;
        return () -> CallState.current().criticality = previous;
    }

    /** The lower-case name used in headers, YAML and metrics tags. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The criticality with this index ({@link #ordinal()}); for code that stores criticalities packed. */
    public static Criticality ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    /**
     * Parses {@code critical}, {@code default} or {@code sheddable} (any case, surrounding spaces ignored).
     *
     * @param field the name of the field or header the value came from, for the error message
     * @throws IllegalArgumentException naming the field, the value and the allowed values
     */
    public static Criticality parse(String field, String value) {
        if (value != null) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            for (Criticality c : VALUES) {
                if (c.code().equals(v)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException(field + ": '" + value + "' is not allowed; must be one of critical, default, sheddable");
    }

    /** Like {@link #parse} but {@link #DEFAULT} for a missing or unknown value: for untrusted headers. */
    public static Criticality parseOrDefault(String value) {
        if (value == null) {
            return DEFAULT;
        }
        String v = value.strip();
        for (Criticality c : VALUES) {
            if (c.name().equalsIgnoreCase(v)) {
                return c;
            }
        }
        return DEFAULT;
    }
}
