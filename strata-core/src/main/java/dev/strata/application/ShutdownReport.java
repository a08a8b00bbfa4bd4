package dev.strata.application;

import java.util.List;

/**
 * What a shutdown did ({@link Strata#shutdown()}).
 *
 * @param steps every step in order, with timings
 * @param forced whether the budget ran out (or {@link Strata#forceShutdown()} was called) before in-flight work finished
 * @param unfinished in-flight units of work still running when the runtime stopped waiting
 * @param totalNanos the whole shutdown
 */
public record ShutdownReport(List<ShutdownStep> steps, boolean forced, int unfinished, long totalNanos) {
    public ShutdownReport {
        steps = List.copyOf(steps);
    }
}
