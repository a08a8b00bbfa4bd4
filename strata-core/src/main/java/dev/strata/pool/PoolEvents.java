package dev.strata.pool;

import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;

/**
 * What a {@link Pool} tells its {@link EventBus}, as {@link Layer#RESOURCE} events named after
 * the pool: stale resources, failed resets, background creations and leaks. Built only when the
 * bus listens at that level.
 */
final class PoolEvents {

    private final EventBus events;
    private final Clock clock;
    private final String name;

    PoolEvents(PoolConfig config) {
        this.events = config.events();
        this.clock = config.clock();
        this.name = config.name();
    }

    void publish(String type, Level level, Fault fault, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.RESOURCE, level, fault, message));
        }
    }

    /** {@code pool.stale-failed}: a stale resource reached a borrower, seen there as {@code observed}. */
    void staleFailed(Fault stale, Fault observed) {
        publish("pool.stale-failed", Level.WARNING, stale,
                "stale connection reached a caller (" + stale.detail() + ", " + stale.kind().qualifiedName()
                        + "; seen as " + observed + ")");
    }

    /**
     * {@code pool.stale-replaced} or {@code pool.stale-keepalive-failed}: a check found an idle
     * resource dead. How the check failed tells a reset (the peer said so at once) from a black
     * hole (no answer until the check's own timeout): the diagnosis reads this to name the L1 cause.
     */
    void staleFound(String verb, Fault stale, long checkNanos, long checkBoundNanos) {
        publish("pool.stale-" + verb, Level.INFO, stale,
                verb + " stale connection (" + stale.detail() + ", " + stale.kind().qualifiedName() + "; "
                        + (checkNanos >= checkBoundNanos * 9 / 10 ? "check got no answer within " + Durations.format(checkBoundNanos)
                                : "check failed after " + Durations.format(checkNanos)) + ")");
    }

    /** {@code pool.reset-failed}: a returned resource could not be reset and is closed instead. */
    void resetFailed(Fault fault, Throwable failure) {
        publish("pool.reset-failed", Level.WARNING, fault, "could not reset a returned resource, closing it instead"
                + (failure == null ? "" : ": " + failure));
    }
}
