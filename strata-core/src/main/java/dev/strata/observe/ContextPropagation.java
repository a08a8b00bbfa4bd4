package dev.strata.observe;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Carries thread-bound context (a tracing context, a logging MDC) across Strata's own thread
 * hand-offs: an attempt bounded by a timeout runs on a new virtual thread, and asynchronous
 * backoffs, timeouts and hedges continue on threads the shared timer starts. Whatever a registered
 * {@link Propagator} captures on the handing-off thread is made current on the receiving one for
 * the task's duration, so a user's trace stays whole through a Strata call.
 *
 * <p>With nothing registered, {@link #capture()} returns null and {@link #wrap} returns the task
 * itself: the hand-offs pay one volatile read. {@code strata-opentelemetry} registers OpenTelemetry's
 * context.
 */
public final class ContextPropagation {

    /** Captures a thread's context and makes it current on another thread. */
    public interface Propagator {
        /** The context current on this (the handing-off) thread; may be null. */
        Object capture();

        /**
         * Makes {@code captured} current on this (the receiving) thread until the returned handle
         * is closed, on this thread, when the task ends.
         */
        AutoCloseable attach(Object captured);
    }

    private static final Propagator[] NONE = new Propagator[0];
    private static final ReentrantLock CHANGES = new ReentrantLock();
    private static volatile Propagator[] propagators = NONE;

    private ContextPropagation() {
    }

    /** Registers a propagator until the returned handle is closed. */
    public static AutoCloseable register(Propagator propagator) {
        Objects.requireNonNull(propagator, "propagator");
        CHANGES.lock();
        try {
            Propagator[] grown = java.util.Arrays.copyOf(propagators, propagators.length + 1);
            grown[grown.length - 1] = propagator;
            propagators = grown;
        } finally {
            CHANGES.unlock();
        }
        return () -> {
            CHANGES.lock();
            try {
                propagators = java.util.Arrays.stream(propagators).filter(p -> p != propagator).toArray(Propagator[]::new);
            } finally {
                CHANGES.unlock();
            }
        };
    }

    /** What the registered propagators capture on this thread, or null when none is registered. */
    public static Object[] capture() {
        Propagator[] ps = propagators;
        if (ps.length == 0) {
            return null;
        }
        Object[] captured = new Object[ps.length * 2];
        for (int i = 0; i < ps.length; i++) {
            captured[2 * i] = ps[i];
            try {
                captured[2 * i + 1] = ps[i].capture();
            } catch (RuntimeException e) {
                log(ps[i], e);
            }
        }
        return captured;
    }

    /** Makes {@code captured} (from {@link #capture()}) current on this thread; close the result when done. */
    public static AutoCloseable[] attach(Object[] captured) {
        if (captured == null) {
            return null;
        }
        AutoCloseable[] attached = new AutoCloseable[captured.length / 2];
        for (int i = 0; i < attached.length; i++) {
            Propagator p = (Propagator) captured[2 * i];
            try {
                attached[i] = p.attach(captured[2 * i + 1]);
            } catch (RuntimeException e) {
                log(p, e);
            }
        }
        return attached;
    }

    /** Ends what {@link #attach} made current, in reverse order. */
    public static void detach(AutoCloseable[] attached) {
        if (attached == null) {
            return;
        }
        for (int i = attached.length - 1; i >= 0; i--) {
            if (attached[i] != null) {
                try {
                    attached[i].close();
                } catch (Exception e) {
                    System.getLogger("dev.strata").log(Level.WARNING, "context propagation: detach failed", e);
                }
            }
        }
    }

    /** {@code task}, run with this thread's captured context current; {@code task} itself when nothing is registered. */
    public static Runnable wrap(Runnable task) {
        Object[] captured = capture();
        if (captured == null) {
            return task;
        }
        return () -> {
            AutoCloseable[] attached = attach(captured);
            try {
                task.run();
            } finally {
                detach(attached);
            }
        };
    }

    private static void log(Propagator p, RuntimeException e) {
        System.getLogger("dev.strata").log(Level.WARNING, "context propagator " + p + " failed", e);
    }
}
