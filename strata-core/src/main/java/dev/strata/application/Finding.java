package dev.strata.application;

import dev.strata.fault.Layer;
import dev.strata.observe.StrataEvent;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * An L4 ("How do I organise?") mistake the runtime noticed, published on its event bus and kept
 * in {@link Strata#findings()}: a second pool to a target that already has one, a second runtime
 * in the process. It carries the creation sites involved, so the report points at both places in
 * the code.
 *
 * @param epochMillis when it was noticed
 * @param dependency the dependency whose creation was the second one
 * @param type {@code registry.duplicate-pool} or {@code registry.second-runtime}
 * @param message the sentence, naming both creators
 * @param sites the stacks of the creation sites, first creation first
 */
public record Finding(long epochMillis, String dependency, String type, String message,
                      List<List<StackTraceElement>> sites) implements StrataEvent {

    public Finding {
        sites = sites.stream().map(List::copyOf).toList();
    }

    @Override
    public Layer layer() {
        return Layer.APPLICATION;
    }

    @Override
    public Level level() {
        return Level.WARNING;
    }
}
