package dev.strata.observe;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delivers events to listeners and writes one structured log line per event through
 * {@link System.Logger} (logger name {@code dev.strata}), so core needs no logging library. The
 * logged message is {@link StrataEvent#logLine()} without its level, which the logging backend
 * prints itself: {@code [payments] circuit CLOSED -> OPEN: ...}. Buses may chain to a parent, so
 * a listener on the application's bus sees the events of every dependency.
 *
 * <p>Publishing is allocation-free when nothing listens and the level is not logged; callers
 * that build costly events should check {@link #isActive(Level)} first.
 */
public final class EventBus {

    private static final EventBus ROOT = new EventBus(null, true);
    /**
     * One logger for every event, looked up once: {@link #isActive} sits on hot paths (every
     * rejection) and must not allocate, and it must answer for the same logger that writes.
     */
    private static final Logger LOGGER = System.getLogger("dev.strata");

    private final EventBus parent;
    private final boolean log;
    private final CopyOnWriteArrayList<EventListener> listeners = new CopyOnWriteArrayList<>();

    private EventBus(EventBus parent, boolean log) {
        this.parent = parent;
        this.log = log;
    }

    /** The process-wide bus that logs; every other bus chains to it unless created detached. */
    public static EventBus root() {
        return ROOT;
    }

    /** A new bus whose events also reach the root bus (and so are logged once, there). */
    public static EventBus create() {
        return new EventBus(ROOT, false);
    }

    /** A new bus whose events also reach {@code parent}. */
    public static EventBus childOf(EventBus parent) {
        return new EventBus(Objects.requireNonNull(parent, "parent"), false);
    }

    /** A bus with no parent that does not log: for tests and tools that collect events themselves. */
    public static EventBus detached() {
        return new EventBus(null, false);
    }

    /** Adds a listener; returns a handle that removes it again. */
    public AutoCloseable subscribe(EventListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Whether publishing an event of this level would reach anyone: a listener or the log. */
    public boolean isActive(Level level) {
        for (EventBus bus = this; bus != null; bus = bus.parent) {
            if (!bus.listeners.isEmpty() || (bus.log && LOGGER.isLoggable(level))) {
                return true;
            }
        }
        return false;
    }

    /** Hands the event to every listener here and up the chain, and logs it once. */
    public void publish(StrataEvent event) {
        for (EventBus bus = this; bus != null; bus = bus.parent) {
            bus.deliver(event);
        }
    }

    private void deliver(StrataEvent event) {
        for (EventListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException | Error listenerFailure) {
                LOGGER.log(Level.WARNING, "event listener " + listener + " failed on " + event.type(), listenerFailure);
            }
        }
        if (log && LOGGER.isLoggable(event.level())) {
            LOGGER.log(event.level(), "[" + event.dependency() + "] " + event.message());
        }
    }
}
