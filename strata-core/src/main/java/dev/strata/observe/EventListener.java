package dev.strata.observe;

/**
 * Receives Strata events. Called synchronously on the thread that raised the event, so a
 * listener must be quick and must not block; an exception it throws is logged and otherwise
 * ignored, never propagated into the call that raised the event.
 */
@FunctionalInterface
public interface EventListener {

    void onEvent(StrataEvent event);
}
