package dev.strata.observe;

import dev.strata.fault.Fault;
import dev.strata.fault.Layer;
import java.lang.System.Logger.Level;

/**
 * A ready-made event for components whose events need no extra fields.
 *
 * @param epochMillis when it happened
 * @param dependency which dependency it concerns
 * @param type stable dotted type
 * @param layer the raising component's layer
 * @param level log level
 * @param fault the fault behind it, or null
 * @param message the human sentence
 */
public record BasicEvent(long epochMillis, String dependency, String type, Layer layer, Level level, Fault fault,
                         String message) implements StrataEvent {
}
