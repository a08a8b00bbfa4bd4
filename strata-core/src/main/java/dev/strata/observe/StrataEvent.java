package dev.strata.observe;

import dev.strata.fault.Fault;
import dev.strata.fault.Layer;
import java.lang.System.Logger.Level;

/**
 * Something a Strata component did that a human or a tool may want to know: a retry, a breaker
 * transition, a rejection, a stale connection replaced. Every component publishes its events
 * through an {@link EventBus}, which hands them to listeners and writes one log line each.
 *
 * <p>Implementations are immutable records owned by the component that raises them.
 */
public interface StrataEvent {

    /** Wall-clock time the event happened, epoch milliseconds. */
    long epochMillis();

    /** The dependency the event is about, e.g. {@code payments}. */
    String dependency();

    /** Stable dotted type, e.g. {@code retry.attempt-failed}, {@code breaker.state-changed}. */
    String type();

    /** The layer of the component that raised the event. */
    Layer layer();

    /** How loudly to log it. */
    Level level();

    /** The fault behind the event, or null when it is not about a failure. */
    default Fault fault() {
        return null;
    }

    /**
     * The human sentence of the log line, without level or dependency, e.g.
     * {@code attempt 1/3 failed: NETWORK/connection-reset after 2ms; retrying in 1.13s (deadline left 3.8s)}.
     */
    String message();

    /** The log line: {@code WARN [payments] attempt 1/3 failed: ...}. */
    default String logLine() {
        return levelLabel(level()) + " [" + dependency() + "] " + message();
    }

    /** The short level names log readers expect: {@code WARN}, not {@code WARNING}. */
    static String levelLabel(Level level) {
        return level == Level.WARNING ? "WARN" : level.getName();
    }
}
