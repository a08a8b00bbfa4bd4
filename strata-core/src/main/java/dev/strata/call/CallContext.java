package dev.strata.call;

import dev.strata.call.internal.Attempts;
import dev.strata.call.internal.CallState;
import java.util.Objects;

/**
 * What every layer may need to know about the logical call it is serving: the dependency's
 * name, whether the work is safe to repeat (idempotent, or carrying an idempotency key), the
 * attempt number, and the {@link LayerTrace} to record into.
 *
 * <p>The context is current per thread while a pipeline runs a call ({@link #current()}); the
 * deadline lives in {@link Deadline#current()} beside it, in the same per-thread {@link CallState}.
 */
public final class CallContext {

    static {
        // The attempt number is set by the retry loop only, through an internal hand-off: it is
        // not API (a caller setting it would mislabel the attempts in traces and events).
        Attempts.install((context, attempt) -> context.attempt = attempt);
    }


    private final String dependency;
    private final boolean idempotent;
    private final String idempotencyKey;
    private final LayerTrace trace;
    private volatile int attempt;

    private CallContext(String dependency, boolean idempotent, String idempotencyKey, LayerTrace trace) {
        this.dependency = Objects.requireNonNull(dependency, "dependency");
        this.idempotent = idempotent;
        this.idempotencyKey = idempotencyKey;
        this.trace = trace;
    }

    /** A context for idempotent work (a read, a GET): safe to repeat. */
    public static CallContext idempotent(String dependency) {
        return new CallContext(dependency, true, null, new LayerTrace());
    }

    /**
     * A context for work that must not happen twice unless the dependency can recognise the
     * repeat. With a non-null {@code idempotencyKey} retries are allowed (the dependency
     * deduplicates by key); without one the call is attempted exactly once.
     *
     * @throws IllegalArgumentException when the key is blank
     */
    public static CallContext nonIdempotent(String dependency, String idempotencyKey) {
        if (idempotencyKey != null && idempotencyKey.isBlank()) {
            // A blank key cannot deduplicate anything; treating it as a key would allow unsafe retries.
            throw new IllegalArgumentException("idempotencyKey: '" + idempotencyKey
                    + "' is not allowed; must be null (attempt once) or a non-blank key");
        }
        return new CallContext(dependency, false, idempotencyKey, new LayerTrace());
    }

    /** The context current on this thread, or null outside any Strata call. */
    public static CallContext current() {
        return CallState.current().context;
    }

    /** Makes this context current until the returned scope closes; use try-with-resources. */
    public Deadline.Scope enter() {
        CallState state = CallState.current();
        CallContext previous = state.context;
        state.context = this;
        return () -> CallState.current().context = previous; // restored on the thread that closes, as a thread-local would be
    }

    public String dependency() {
        return dependency;
    }

    /** True when the work itself is idempotent. */
    public boolean isIdempotent() {
        return idempotent;
    }

    /** The idempotency key, or null. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** Whether repeating this call is safe: idempotent work, or non-idempotent work with a key. */
    public boolean isSafeToRepeat() {
        return idempotent || idempotencyKey != null;
    }

    /** The attempt now running, starting at 1; 0 before the first attempt. */
    public int attempt() {
        return attempt;
    }


    public LayerTrace trace() {
        return trace;
    }

    @Override
    public String toString() {
        return "CallContext[" + dependency + ", attempt " + attempt
                + (idempotent ? ", idempotent" : idempotencyKey != null ? ", key " + idempotencyKey : ", not repeatable") + "]";
    }
}
