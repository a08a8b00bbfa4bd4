package dev.strata.observe;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import dev.strata.internal.Durations;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delivers events to listeners and writes one log line per event through {@link System.Logger},
 * so core needs no logging library.
 *
 * <p><b>Loggers.</b> Each event is logged by the logger of its layer and dependency,
 * {@code dev.strata.<layer>.<dependency>} (e.g. {@code dev.strata.resilience.payments},
 * {@code dev.strata.resource.orders-db}), so one noisy dependency can be turned down without
 * touching the others. Whether an event is built at all is decided by the parent logger
 * {@code dev.strata} (the check sits on hot paths and knows no dependency): to see a
 * dependency's DEBUG events, lower {@code dev.strata} and raise the others.
 *
 * <p><b>One line.</b> The logged message is {@link StrataEvent#logLine()} without its level,
 * which the backend prints itself: {@code [payments] circuit CLOSED -> OPEN: ...}; it never
 * contains a line break. (The JDK's default {@code SimpleFormatter} puts a header line before
 * every message; {@code -Djava.util.logging.SimpleFormatter.format='%1$tT %4$s %3$s %5$s%6$s%n'}
 * makes it one line, see the README.)
 *
 * <p><b>Repeats.</b> An event identical to the previous one logged for the same dependency and
 * layer (same type and message) within {@value #REPEAT_WINDOW_SECONDS} s is not logged again;
 * the count is written, as {@code ... (x234 more in 9.81s)}, before the next different line of
 * that dependency or the first repeat after the window. Listeners still receive every event.
 *
 * <p>Buses may chain to a parent, so a listener on the application's bus sees the events of
 * every dependency. Publishing is allocation-free when nothing listens and the level is not
 * logged; callers that build costly events should check {@link #isActive(Level)} first.
 */
public final class EventBus {

    private static final EventBus ROOT = new EventBus(null, true);
    /**
     * One logger for every event, looked up once: {@link #isActive} sits on hot paths (every
     * rejection) and must not allocate, and it must answer for the same logger that writes.
     */
    private static final Logger LOGGER = System.getLogger("dev.strata");

    /** How long identical consecutive log lines of one dependency are folded into a count. */
    static final long REPEAT_WINDOW_SECONDS = 10;
    private static final long REPEAT_WINDOW_NANOS = REPEAT_WINDOW_SECONDS * 1_000_000_000L;

    /** Loggers by layer and dependency; bounded by the number of dependencies. */
    private static final ConcurrentHashMap<String, Repeats> BY_SOURCE = new ConcurrentHashMap<>();

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
            log(event);
        }
    }

    private static void log(StrataEvent event) {
        String layer = event.layer() == null ? "core" : event.layer().name().toLowerCase(Locale.ROOT);
        String dependency = String.valueOf(event.dependency());
        Repeats source = BY_SOURCE.computeIfAbsent(layer + '/' + dependency,
                k -> new Repeats(System.getLogger("dev.strata." + layer + "." + dependency), "[" + dependency + "] "));
        source.log(event);
    }

    /** The log of one layer and dependency, folding identical consecutive lines into a count. */
    private static final class Repeats {
        private final Logger logger;
        private final String prefix;
        private String type;
        private String message;
        private Level level;
        private long since;
        private long last;
        private int suppressed;

        Repeats(Logger logger, String prefix) {
            this.logger = logger;
            this.prefix = prefix;
        }

        void log(StrataEvent event) {
            if (!logger.isLoggable(event.level())) {
                return;
            }
            String line = oneLine(event.message());
            String summary = null;
            Level summaryLevel = null;
            synchronized (this) {
                long now = System.nanoTime();
                if (line.equals(message) && event.type().equals(type) && now - since < REPEAT_WINDOW_NANOS) {
                    suppressed++;
                    last = now;
                    return;
                }
                if (suppressed > 0) {
                    summary = prefix + message + " (x" + suppressed + " more in " + Durations.format(last - since) + ")";
                    summaryLevel = level;
                }
                type = event.type();
                message = line;
                level = event.level();
                since = now;
                last = now;
                suppressed = 0;
            }
            if (summary != null) {
                logger.log(summaryLevel, summary);
            }
            logger.log(event.level(), prefix + line);
        }

        /** A message with a line break would break "one event, one line" for log readers. */
        private static String oneLine(String message) {
            return message.indexOf('\n') < 0 && message.indexOf('\r') < 0 ? message
                    : message.replace("\r\n", " | ").replace('\n', ' ').replace('\r', ' ');
        }
    }
}
