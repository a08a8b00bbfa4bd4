package dev.strata.resilience;

import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The last resort of a pipeline: a value to return when the call failed, chosen by the kind of
 * fault or the type of exception that escaped every other policy.
 *
 * <p>Fallbacks chain with {@link #orElse(Fallback)}: the first one that matches the failure is
 * tried; if it throws, its exception is kept and the next matching one is tried (a cache that
 * misses, then a default). When every matching fallback throws, the original failure is
 * rethrown with each fallback's exception {@linkplain Throwable#addSuppressed added as
 * suppressed}, and a {@code fallback.failed} event names them. When a later fallback answers,
 * each earlier one that threw is still reported by its own {@code fallback.failed} event: a
 * fallback's failure is never swallowed. An {@link Error} thrown by a fallback is not a missing
 * value; it escapes at once and no further fallback is tried.
 *
 * <p>A fallback should make no remote call: it runs outside the breaker, bulkhead and deadline
 * of the dependency that just failed.
 *
 * @param <T> the type of value it returns
 */
public final class Fallback<T> {

    /**
     * Why a fallback was invoked and what failed.
     *
     * @param dependency the dependency that failed
     * @param fault the classified failure: its kind says why, e.g. {@link FaultKind#CIRCUIT_OPEN},
     *     {@link FaultKind#ATTEMPT_TIMEOUT}, {@link FaultKind#BULKHEAD_FULL}, {@link FaultKind#RETRIES_EXHAUSTED}
     * @param failure the exception that escaped the pipeline
     */
    public record Cause(String dependency, Fault fault, Throwable failure) {
        /** The kind of fault that triggered the fallback. */
        public FaultKind reason() {
            return fault.kind();
        }
    }

    /** Produces the fallback value. */
    @FunctionalInterface
    public interface Handler<T> {
        /**
         * @return the value to return instead of the failure
         * @throws Exception when no fallback value is available either
         */
        T apply(Cause cause) throws Exception;
    }

    private final List<Entry<T>> entries;

    private record Entry<T>(Set<FaultKind> kinds, Class<? extends Throwable> type, Handler<? extends T> handler) {
        boolean matches(Cause cause) {
            if (kinds != null) {
                return kinds.contains(cause.fault().kind());
            }
            return type.isInstance(cause.failure()) || (cause.failure().getCause() != null && type.isInstance(cause.failure().getCause()));
        }
    }

    private Fallback(List<Entry<T>> entries) {
        this.entries = entries;
    }

    /** A fallback for failures of the given kind. */
    public static <T> Fallback<T> on(FaultKind kind, Handler<? extends T> handler) {
        Require.nonNull("kind", kind);
        return new Fallback<>(List.of(new Entry<T>(Set.of(kind), null, Require.nonNull("handler", handler))));
    }

    /** A fallback for failures of any of the given kinds. */
    public static <T> Fallback<T> on(Set<FaultKind> kinds, Handler<? extends T> handler) {
        if (Require.nonNull("kinds", kinds).isEmpty()) {
            throw new IllegalArgumentException("kinds: [] is not allowed; must name at least one fault kind");
        }
        return new Fallback<>(List.of(new Entry<T>(Set.copyOf(kinds), null, Require.nonNull("handler", handler))));
    }

    /**
     * A fallback for failures of the given exception type: the exception that escaped, or its
     * direct cause (so {@code IOException.class} matches retries exhausted on an {@code IOException}).
     */
    public static <T> Fallback<T> on(Class<? extends Throwable> type, Handler<? extends T> handler) {
        return new Fallback<>(List.of(new Entry<T>(null, Require.nonNull("type", type), Require.nonNull("handler", handler))));
    }

    /** A fallback for every failure. */
    public static <T> Fallback<T> always(Handler<? extends T> handler) {
        return on(Throwable.class, handler);
    }

    /** This fallback, then {@code next} for failures this one does not match or cannot serve. */
    public Fallback<T> orElse(Fallback<? extends T> next) {
        List<Entry<T>> chained = new ArrayList<>(entries);
        for (Entry<? extends T> entry : Require.nonNull("next", next).entries) {
            chained.add(new Entry<T>(entry.kinds, entry.type, entry.handler));
        }
        return new Fallback<>(Collections.unmodifiableList(chained));
    }

    /** Whether some fallback in the chain matches this failure. */
    public boolean matches(Cause cause) {
        for (Entry<T> entry : entries) {
            if (entry.matches(cause)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs the matching fallbacks in order until one returns.
     *
     * @param failed receives each fallback's own failure, in order
     * @return the first value produced
     * @throws NoValue when no fallback matched or every matching one threw
     */
    T apply(Cause cause, List<Throwable> failed) throws NoValue {
        for (Entry<T> entry : entries) {
            if (entry.matches(cause)) {
                try {
                    return entry.handler.apply(cause);
                } catch (Exception e) { // an Error is not a missing value: it escapes at once
                    failed.add(e);
                }
            }
        }
        throw NoValue.INSTANCE;
    }

    /** Signals that no fallback produced a value; carries no stack, it never escapes. */
    static final class NoValue extends Exception {
        static final NoValue INSTANCE = new NoValue();

        private NoValue() {
            super("no fallback value", null, false, false);
        }
    }

    @Override
    public String toString() {
        return "Fallback" + entries.stream().map(e -> e.kinds != null ? e.kinds.toString() : e.type.getSimpleName()).toList();
    }
}
