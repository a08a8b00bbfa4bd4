package dev.strata.diagnosis;

import static dev.strata.diagnosis.Diagnoser.serverOf;

import dev.strata.fault.Layer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The order of a diagnosis, most likely root cause first: bottom-up by layer (L1, L2, the remote
 * side, L3, L4), within a layer causes before their usual consequences, and then every verdict
 * that explains another moved before it. A verdict's {@code explains} arrives holding every id it
 * may explain and leaves holding those present and related to it: of the same dependency, or, for
 * an L4 verdict about a target or server, of the dependencies whose pools connect to it.
 */
final class VerdictOrder {

    private static final List<Layer> RANK = List.of(Layer.NETWORK, Layer.RESOURCE, Layer.REMOTE, Layer.RESILIENCE,
            Layer.APPLICATION);
    /** Within a layer: causes before their usual consequences. */
    private static final List<String> ID_RANK = List.of("dead-flows-blackhole", "stale-connections-after-idle",
            "dns-failing", "dns-slow", "connect-refused", "connect-timeout", "connection-leak", "server-connection-limit", "rate-limited",
            "pool-starvation", "dependency-failing", "dependency-slow", "retry-storm", "breaker-flapping", "timeout-too-tight",
            "adaptive-limit-at-minimum",
            "duplicate-pools", "connection-budget-exceeded", "configuration-drift");
    private static final Comparator<Verdict> BOTTOM_UP = Comparator.<Verdict>comparingInt(v -> RANK.indexOf(v.layer()))
            .thenComparingInt(v -> ID_RANK.indexOf(v.id()))
            .thenComparing(Verdict::dependency)
            .thenComparing(v -> v.since());

    /** Dependency to the server ({@code host:port}) its pool connects to. */
    private final Map<String, String> serverByDependency = new HashMap<>();

    /** An order that relates L4 verdicts to dependencies through these pools' targets. */
    VerdictOrder(List<DiagnosisSource.PoolView> pools) {
        for (DiagnosisSource.PoolView v : pools) {
            if (v.target() != null) {
                serverByDependency.put(v.dependency(), serverOf(v.target()));
            }
        }
    }

    /**
     * {@code found} in diagnosis order: the active verdicts first, then the recovering ones, each
     * group in cause-first order with its {@code explains} narrowed to the related verdicts of the
     * same group (what is broken now is explained by what is broken now).
     */
    List<Verdict> order(List<Verdict> found) {
        List<Verdict> out = new ArrayList<>(orderGroup(found.stream().filter(Verdict::active).toList()));
        out.addAll(orderGroup(found.stream().filter(v -> !v.active()).toList()));
        return out;
    }

    private List<Verdict> orderGroup(List<Verdict> found) {
        List<Verdict> base = new ArrayList<>(found);
        base.sort(BOTTOM_UP);
        List<Verdict> resolved = new ArrayList<>();
        Map<Verdict, List<Verdict>> explainers = new IdentityHashMap<>();
        for (Verdict v : base) {
            List<String> kept = new ArrayList<>();
            for (Verdict other : base) {
                if (other == v || !v.explains().contains(other.id())) {
                    continue;
                }
                // a verdict never explains one of its own kind, and a cycle keeps the bottom-up order
                if (related(v, other) && !other.id().equals(v.id()) && !explainsBack(other, v)) {
                    if (!kept.contains(other.id())) {
                        kept.add(other.id());
                    }
                    explainers.computeIfAbsent(other, k -> new ArrayList<>()).add(v);
                }
            }
            resolved.add(v.withExplains(kept));
        }
        Map<Verdict, Verdict> replaced = new IdentityHashMap<>();
        for (int i = 0; i < base.size(); i++) {
            replaced.put(base.get(i), resolved.get(i));
        }
        List<Verdict> ordered = new ArrayList<>();
        Set<Verdict> placed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Verdict v : base) {
            place(v, explainers, placed, ordered, replaced, new ArrayList<>());
        }
        return ordered;
    }

    /**
     * Whether {@code v} and {@code other} are about the same thing: one dependency; {@code v} about
     * the server {@code other}'s pool connects to; or {@code v} an L4 verdict whose dependency's
     * pool shares that server.
     */
    private boolean related(Verdict v, Verdict other) {
        return other.dependency().equals(v.dependency())
                || serverOf(v.dependency()).equals(serverByDependency.get(other.dependency()))
                || (v.layer() == Layer.APPLICATION
                        && Objects.equals(serverByDependency.get(v.dependency()), serverByDependency.get(other.dependency())));
    }

    private static boolean explainsBack(Verdict other, Verdict v) {
        return other.explains().contains(v.id()) && RANK.indexOf(other.layer()) < RANK.indexOf(v.layer());
    }

    /** Appends {@code v} after the verdicts that explain it (depth first; {@code path} breaks cycles). */
    private static void place(Verdict v, Map<Verdict, List<Verdict>> explainers, Set<Verdict> placed, List<Verdict> out,
                              Map<Verdict, Verdict> replaced, List<Verdict> path) {
        if (placed.contains(v) || path.contains(v)) {
            return;
        }
        path.add(v);
        for (Verdict cause : explainers.getOrDefault(v, List.of())) {
            place(cause, explainers, placed, out, replaced, path);
        }
        path.removeLast();
        placed.add(v);
        out.add(replaced.get(v));
    }
}
