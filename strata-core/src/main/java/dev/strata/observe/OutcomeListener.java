package dev.strata.observe;

import dev.strata.call.LayerTrace;
import dev.strata.fault.Fault;

/**
 * Receives the outcome of every logical call, attempt, rejection and fallback of the component it
 * is bound to, for meters and traces. Unlike {@link StrataEvent}s, which describe notable moments
 * in words, outcomes are reported for every call, successful or not, as plain numbers: a binder
 * such as {@code strata-micrometer} turns them into counters and timers.
 *
 * <p>A component with no listener bound checks one field and reports nothing, so an unobserved
 * hot path pays neither an allocation nor a clock read for it. Every method has an empty default,
 * so a listener implements only what it records. Methods are called synchronously on the thread
 * that ends the step (the caller, an attempt's virtual thread or the async timer's hand-off), so
 * they must be quick, must not block and must not call back into the component. An exception a
 * listener throws is caught by {@link OutcomeListeners} and logged, never propagated into the call.
 *
 * <p>Durations are nanoseconds from the component's {@code Clock}.
 */
public interface OutcomeListener {

    /**
     * A logical call returned a value, before any fallback.
     *
     * @param dependency the dependency's name
     * @param attempts attempts made, 1 when the first one succeeded
     * @param nanos from admission by the bulkhead to the result
     */
    default void callSucceeded(String dependency, int attempts, long nanos) {
    }

    /**
     * A logical call failed after at least one attempt, before any fallback.
     *
     * @param dependency the dependency's name
     * @param attempts attempts made
     * @param nanos from admission by the bulkhead to the failure
     * @param fault the classified failure that escaped the call, e.g. {@code RESILIENCE/retries-exhausted}
     *     or the attempt's own fault when it was not retried
     */
    default void callFailed(String dependency, int attempts, long nanos, Fault fault) {
    }

    /**
     * A logical call was refused before its first attempt: the bulkhead was full or the circuit
     * breaker open.
     *
     * @param dependency the dependency's name
     * @param fault {@code RESILIENCE/bulkhead-full} or {@code RESILIENCE/circuit-open}
     */
    default void callRejected(String dependency, Fault fault) {
    }

    /**
     * One attempt failed; a retry may follow.
     *
     * @param dependency the dependency's name
     * @param attempt its number, from 1
     * @param nanos how long it ran, or 0 when it was not measured
     * @param fault the attempt's classified failure, with its layer
     */
    default void attemptFailed(String dependency, int attempt, long nanos, Fault fault) {
    }

    /**
     * A fallback was invoked for a failed call.
     *
     * @param dependency the dependency's name
     * @param reason the fault that triggered it
     * @param answered whether a fallback produced a value (false: every matching one failed too)
     */
    default void fallbackInvoked(String dependency, Fault reason, boolean answered) {
    }

    /**
     * A circuit breaker changed state.
     *
     * @param dependency the breaker's name
     * @param from the previous state's name, e.g. {@code CLOSED}
     * @param to the new state's name, e.g. {@code OPEN}
     */
    default void stateChanged(String dependency, String from, String to) {
    }

    /**
     * The fraction of logical calls, 0..1, this listener wants a {@link LayerTrace} of, delivered
     * to {@link #callTraced} when the call ends. A pipeline samples a call made without a
     * {@code CallContext} by giving it one; a call with its own context is delivered when sampled
     * too. 0 (the default) samples nothing and costs nothing: no context, no trace, no clock read.
     * Read once at binding.
     */
    default double traceSampleRate() {
        return 0.0;
    }

    /**
     * A sampled call is about to start, on the caller's thread. A tracer opens its span here and
     * makes it current, so the attempts (on their own threads, see {@link ContextPropagation}) run
     * inside it, and returns an opaque token for the call, handed back to {@link #callTraced} (and,
     * for an asynchronous call, to {@link #callDetached}); no thread-local is needed to find it.
     *
     * <p>For a synchronous call ({@code async} false) {@link #callTraced} follows on the same
     * thread. For {@code executeAsync} ({@code async} true) the caller's thread leaves the call with
     * {@link #callDetached} once the call is launched, and {@link #callTraced} follows exactly once,
     * on whichever thread completes, fails or cancels the call's future, possibly before
     * {@link #callDetached}. With several listeners on one pipeline, {@link #callDetached} and
     * {@link #callTraced} reach them in the reverse order of this method, so the scopes they made
     * current close innermost first and none is left current on the caller's thread.
     *
     * @param dependency the dependency's name
     * @param async whether the call is asynchronous
     * @return a token for this call, or null
     */
    default Object callStarting(String dependency, boolean async) {
        return null;
    }

    /**
     * The caller's thread leaves an asynchronous sampled call it launched (on that thread, after
     * {@link #callStarting} with {@code async} true): a tracer closes the scope it opened there.
     *
     * @param token what {@link #callStarting} returned
     */
    default void callDetached(Object token) {
    }

    /**
     * A sampled call ended, successfully or not (its fallback, if any, has not run yet).
     *
     * @param dependency the dependency's name
     * @param token what {@link #callStarting} returned for this call
     * @param trace the call's steps; {@link LayerTrace#breakdown()} prints them
     */
    default void callTraced(String dependency, Object token, LayerTrace trace) {
    }
}
