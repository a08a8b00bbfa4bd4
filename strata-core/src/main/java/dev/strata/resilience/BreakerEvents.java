package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.observe.OutcomeListener;
import dev.strata.observe.OutcomeListeners;
import dev.strata.resilience.CircuitBreaker.State;
import dev.strata.resilience.CircuitBreaker.Transition;
import java.lang.System.Logger.Level;

/**
 * What one {@link CircuitBreaker} tells the outside: each state change as a {@link Transition} on
 * its {@link EventBus} and to the {@link OutcomeListener}s bound with
 * {@link CircuitBreaker#listen}, and each refused call as a DEBUG {@code breaker.call-not-permitted}
 * event. Nothing here runs while a CLOSED breaker admits calls and records their outcomes; the
 * state machine calls in only after it has changed state or refused a call.
 */
final class BreakerEvents {

    private final String dependency;
    private final Clock clock;
    private final EventBus bus;
    /** Meters and traces; read only on state changes. */
    private final OutcomeListeners listeners = new OutcomeListeners();

    BreakerEvents(String dependency, Clock clock, EventBus bus) {
        this.dependency = dependency;
        this.clock = clock;
        this.bus = bus;
    }

    /** Binds {@code listener} to the state changes until the returned handle is closed. */
    AutoCloseable listen(OutcomeListener listener) {
        return listeners.add(listener);
    }

    /**
     * Reports that the breaker moved from {@code from} to {@code to}; called once per successful
     * change of phase. A new phase in the same state (a reset of a closed breaker) is no state
     * change and reports nothing.
     *
     * @param openNanos how long the breaker stays open when {@code to} is OPEN, else 0
     */
    void stateChanged(State from, State to, String reason, long openNanos) {
        if (from == to) {
            return;
        }
        OutcomeListener listener = listeners.current();
        if (listener != null) {
            listener.stateChanged(dependency, from.name(), to.name());
        }
        if (bus.isActive(level(to))) {
            bus.publish(new Transition(clock.currentTimeMillis(), dependency, from, to, reason, openNanos));
        }
    }

    /** Whether {@link #refused} publishes anything, so the caller can skip working out its arguments. */
    boolean publishesRefusals() {
        return bus.isActive(Level.DEBUG);
    }

    /** Publishes that a call was refused in {@code state}. */
    void refused(State state, long remainingOpenNanos) {
        bus.publish(new BasicEvent(clock.currentTimeMillis(), dependency, "breaker.call-not-permitted",
                Layer.RESILIENCE, Level.DEBUG, null, "call not permitted: " + describeRefusal(state, remainingOpenNanos)));
    }

    /** The level of a transition to {@code to}: WARNING when calls start being refused, INFO otherwise. */
    static Level level(State to) {
        return to == State.OPEN || to == State.FORCED_OPEN ? Level.WARNING : Level.INFO;
    }

    /** Why a call was refused, e.g. {@code circuit OPEN; half-open in 12.3s}; also the text of {@link CallNotPermittedException}. */
    static String describeRefusal(State state, long remainingOpenNanos) {
        return switch (state) {
            case OPEN -> "circuit OPEN; half-open in " + Durations.format(remainingOpenNanos);
            case FORCED_OPEN -> "circuit FORCED_OPEN; refusing calls until reset";
            case HALF_OPEN -> "circuit HALF_OPEN; every probe permit is in use";
            default -> "circuit " + state;
        };
    }
}
