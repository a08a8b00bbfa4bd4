package dev.strata.application;

import dev.strata.internal.Durations;

/**
 * One step of a shutdown, as logged.
 *
 * @param step what was done, e.g. {@code close data source catalog}
 * @param nanos how long it took
 * @param detail the outcome, e.g. {@code 0 in flight} or a failure
 */
public record ShutdownStep(String step, long nanos, String detail) {
    @Override
    public String toString() {
        return step + " (" + Durations.format(nanos) + ")" + (detail.isEmpty() ? "" : ": " + detail);
    }
}
