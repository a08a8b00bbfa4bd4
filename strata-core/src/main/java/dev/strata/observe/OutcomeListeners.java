package dev.strata.observe;

import dev.strata.call.LayerTrace;
import dev.strata.fault.Fault;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The listeners bound to one component. The component keeps one instance and, on its hot path,
 * reads {@link #current()}: {@code null} while nothing is bound, which is the whole cost of
 * observability for an unobserved call. Binding and unbinding are rare and may happen while calls
 * run; a call in flight reports to the listeners current when it reads them.
 *
 * <p>The listener returned by {@link #current()} shields the component from its listeners: an
 * exception one throws is logged (logger {@code dev.strata}) and the others still run.
 */
public final class OutcomeListeners {

    private static final Logger LOGGER = System.getLogger("dev.strata");

    private final CopyOnWriteArrayList<OutcomeListener> bound = new CopyOnWriteArrayList<>();
    private final ReentrantLock changes = new ReentrantLock();
    private volatile OutcomeListener current;
    /** The highest {@link OutcomeListener#traceSampleRate()} of the bound listeners. */
    private volatile double sampleRate;

    /** The listener to report to, or null when none is bound. Allocation-free. */
    public OutcomeListener current() {
        return current;
    }

    /**
     * Binds a listener until the returned handle is closed. Binding the same listener twice
     * reports to it twice.
     */
    public AutoCloseable add(OutcomeListener listener) {
        Objects.requireNonNull(listener, "listener");
        changes.lock();
        try {
            bound.add(listener);
            try {
                refresh();
            } catch (IllegalArgumentException badRate) {
                bound.remove(listener);
                refresh();
                throw badRate;
            }
        } finally {
            changes.unlock();
        }
        return () -> remove(listener);
    }

    /**
     * Whether to trace the call about to start: true for the fraction of calls the bound listeners
     * asked for. Always false, without drawing a random number, while none asked.
     */
    public boolean sampleTrace() {
        double rate = sampleRate;
        return rate > 0.0 && (rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate);
    }

    /** The number of listeners bound now. */
    public int size() {
        return bound.size();
    }

    private void remove(OutcomeListener listener) {
        changes.lock();
        try {
            bound.remove(listener);
            refresh();
        } finally {
            changes.unlock();
        }
    }

    private void refresh() {
        double rate = 0.0;
        for (OutcomeListener l : bound) {
            double r = l.traceSampleRate();
            if (!(r >= 0.0 && r <= 1.0)) {
                throw new IllegalArgumentException("traceSampleRate: " + r + " of " + l + " is not allowed; allowed 0..1");
            }
            rate = Math.max(rate, r);
        }
        sampleRate = rate;
        current = bound.isEmpty() ? null : new Fanout(bound.toArray(new OutcomeListener[0]));
    }

    /** Reports to each listener in binding order, isolating the component from their failures. */
    private record Fanout(OutcomeListener[] listeners) implements OutcomeListener {

        @Override
        public void callSucceeded(String dependency, int attempts, long nanos) {
            for (OutcomeListener l : listeners) {
                try {
                    l.callSucceeded(dependency, attempts, nanos);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        @Override
        public void callFailed(String dependency, int attempts, long nanos, Fault fault) {
            for (OutcomeListener l : listeners) {
                try {
                    l.callFailed(dependency, attempts, nanos, fault);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        @Override
        public void callRejected(String dependency, Fault fault) {
            for (OutcomeListener l : listeners) {
                try {
                    l.callRejected(dependency, fault);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        @Override
        public void attemptFailed(String dependency, int attempt, long nanos, Fault fault) {
            for (OutcomeListener l : listeners) {
                try {
                    l.attemptFailed(dependency, attempt, nanos, fault);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        @Override
        public void fallbackInvoked(String dependency, Fault reason, boolean answered) {
            for (OutcomeListener l : listeners) {
                try {
                    l.fallbackInvoked(dependency, reason, answered);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        @Override
        public void stateChanged(String dependency, String from, String to) {
            for (OutcomeListener l : listeners) {
                try {
                    l.stateChanged(dependency, from, to);
                } catch (RuntimeException e) {
                    failed(l, e);
                }
            }
        }

        /**
         * The token is one per listener, in order: null where a listener does not sample. The
         * listeners are told of the call's end ({@link #callDetached}, {@link #callTraced}) in the
         * reverse order, so scopes they made current on the caller's thread close innermost first.
         */
        @Override
        public Object callStarting(String dependency, boolean async) {
            Object[] tokens = new Object[listeners.length];
            for (int i = 0; i < listeners.length; i++) {
                OutcomeListener l = listeners[i];
                if (l.traceSampleRate() > 0.0) {
                    try {
                        tokens[i] = l.callStarting(dependency, async);
                    } catch (RuntimeException e) {
                        failed(l, e);
                    }
                }
            }
            return tokens;
        }

        @Override
        public void callDetached(Object token) {
            Object[] tokens = token instanceof Object[] t && t.length == listeners.length ? t : new Object[listeners.length];
            for (int i = listeners.length - 1; i >= 0; i--) { // last started, first ended: scopes nest
                OutcomeListener l = listeners[i];
                if (l.traceSampleRate() > 0.0) {
                    try {
                        l.callDetached(tokens[i]);
                    } catch (RuntimeException e) {
                        failed(l, e);
                    }
                }
            }
        }

        @Override
        public void callTraced(String dependency, Object token, LayerTrace trace) {
            Object[] tokens = token instanceof Object[] t && t.length == listeners.length ? t : new Object[listeners.length];
            for (int i = listeners.length - 1; i >= 0; i--) { // last started, first ended: scopes nest
                OutcomeListener l = listeners[i];
                if (l.traceSampleRate() > 0.0) {
                    try {
                        l.callTraced(dependency, tokens[i], trace);
                    } catch (RuntimeException e) {
                        failed(l, e);
                    }
                }
            }
        }

        private static void failed(OutcomeListener listener, RuntimeException e) {
            LOGGER.log(Level.WARNING, "outcome listener " + listener + " failed", e);
        }
    }
}
