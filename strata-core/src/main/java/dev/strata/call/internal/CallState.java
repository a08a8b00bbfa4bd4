package dev.strata.call.internal;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;

/**
 * What is current on one thread for the call it is running: the {@link CallContext} and the
 * {@link Deadline} in force, either of which may be null.
 *
 * <p>{@link CallContext#current()} and {@link Deadline#current()} read the same per-thread
 * holder, so code that needs both (a pipeline starting a call) can take {@link #current()} once
 * and pay one thread-local look-up instead of two. Only the scopes opened by
 * {@link CallContext#enter()} and {@link Deadline#enter()} (and {@link Deadline#call},
 * {@link Deadline#run}) change it.
 *
 * <p>Not API (this package is not exported): the fields are public only so that
 * {@code dev.strata.call} can set them and a pipeline can read both with one look-up.
 *
 * <p>The holder belongs to the thread that obtained it: read it on that thread only. It is a live
 * view, so a read returns what is current at the time of the read, not when the holder was taken.
 */
public final class CallState {

    // One holder per thread, created on first use and reused: opening and closing scopes then
    // writes a field instead of inserting and removing thread-local entries.
    private static final ThreadLocal<CallState> CURRENT = ThreadLocal.withInitial(CallState::new);

    /** Written only by {@link CallContext#enter()}'s scope. */
    public CallContext context;
    /** Written only by {@link Deadline}'s scopes. */
    public Deadline deadline;
    /** Written only by {@link dev.strata.call.Criticality#enter()}'s scope; null means default. */
    public dev.strata.call.Criticality criticality;

    private CallState() {
    }

    /** This thread's holder; never null. */
    public static CallState current() {
        return CURRENT.get();
    }

    /** The context current on this thread, or null outside any Strata call; same as {@link CallContext#current()}. */
    public CallContext context() {
        return context;
    }

    /** The deadline in force on this thread, or null when none is; same as {@link Deadline#current()}. */
    public Deadline deadline() {
        return deadline;
    }

    @Override
    public String toString() {
        return "CallState[" + context + ", " + deadline + "]";
    }
}
