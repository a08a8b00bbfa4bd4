package dev.strata.call.internal;

import dev.strata.call.CallContext;

/**
 * Sets a {@link CallContext}'s attempt number from the retry loop, which lives in another
 * package, without making the setter API. {@code CallContext} installs the setter when its class
 * is initialised, which happens before any context exists.
 */
public final class Attempts {

    /** What {@code CallContext} installs. */
    public interface Setter {
        void set(CallContext context, int attempt);
    }

    private static volatile Setter setter;

    private Attempts() {
    }

    /** Called once, by {@code CallContext}'s static initialiser. */
    public static void install(Setter installed) {
        if (setter != null) {
            throw new IllegalStateException("Attempts: a setter is already installed");
        }
        setter = installed;
    }

    /** Records that {@code attempt} (1-based) of the call {@code context} describes is starting. */
    public static void set(CallContext context, int attempt) {
        setter.set(context, attempt);
    }
}
