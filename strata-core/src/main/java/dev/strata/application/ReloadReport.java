package dev.strata.application;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@link Strata#reload(StrataBuilder)} did: every setting that changed and, when the reload
 * was refused, every change that needs a restart. A reload is all or nothing: when
 * {@link #refusals()} is not empty, nothing was applied and the runtime runs as before.
 *
 * @param changes every changed setting, in dependency and key order; applied when {@link #applied()}
 * @param refusals every change that cannot be made while the runtime runs
 */
public record ReloadReport(List<Change> changes, List<Refusal> refusals) {

    public ReloadReport {
        changes = List.copyOf(changes);
        refusals = List.copyOf(refusals);
    }

    /**
     * One changed setting.
     *
     * @param dependency the dependency's name, or {@code strata} for a runtime-wide setting
     * @param key the configuration key below the dependency, e.g. {@code timeout} or {@code breaker.failure_rate}
     * @param from the value before (secrets masked)
     * @param to the value after (secrets masked)
     */
    public record Change(String dependency, String key, String from, String to) {
        @Override
        public String toString() {
            return dependency + "." + key + " " + from + " -> " + to;
        }
    }

    /**
     * A change that needs a restart.
     *
     * @param dependency the dependency's name, or {@code strata} for a runtime-wide setting
     * @param key the configuration key below the dependency, e.g. {@code pool.max_size}
     * @param from the running value (secrets masked)
     * @param to the value asked for (secrets masked)
     * @param why why it cannot change while the runtime runs
     */
    public record Refusal(String dependency, String key, String from, String to, String why) {
        /** E.g. {@code dependency 'catalog': pool.max_size 10 -> 20 needs a restart (a pool's size is fixed ...)}. */
        public String message() {
            return (Strata.RUNTIME.equals(dependency) ? "runtime" : "dependency '" + dependency + "'") + ": " + key + " "
                    + from + " -> " + to + " needs a restart (" + why + ")";
        }

        @Override
        public String toString() {
            return message();
        }
    }

    /** Whether the changes were applied: nothing was refused. */
    public boolean applied() {
        return refusals.isEmpty();
    }

    /** Whether anything was applied. */
    public boolean changed() {
        return applied() && !changes.isEmpty();
    }

    /**
     * One line: {@code reloaded: payments.timeout 2s -> 500ms, ...}, {@code reloaded: nothing changed},
     * or {@code reload refused, nothing applied: <each refusal>}.
     */
    public String summary() {
        if (!applied()) {
            return "reload refused, nothing applied: " + refusals.stream().map(Refusal::message).collect(Collectors.joining("; "));
        }
        if (changes.isEmpty()) {
            return "reloaded: nothing changed";
        }
        return "reloaded " + changes.size() + (changes.size() == 1 ? " change: " : " changes: ")
                + changes.stream().map(Change::toString).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return summary();
    }
}
