package dev.strata.diagnosis;

import dev.strata.fault.Layer;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One conclusion of the runtime {@link Diagnoser}: what is wrong, in which layer, for which
 * dependency, the numbers it rests on, the higher-layer symptoms it explains, what to change, and
 * whether it is still happening ({@link State}). Ids are stable and documented in
 * {@code docs/diagnosis.md}.
 *
 * @param id stable kebab-case finding id, e.g. {@code stale-connections-after-idle}
 * @param layer the layer to fix
 * @param dependency the dependency (or, for L4 findings about a shared target, the target)
 * @param summary one line for the person on call
 * @param evidence numbers and strings, plus {@code events}: the last few event lines it rests on
 * @param explains ids of other verdicts (and symptoms) this one explains; they come after it
 * @param fix what to change
 * @param since when the condition was first seen (continuously) in the window
 * @param state active while its evidence is current, recovering once it stopped, recent once it left the verdicts
 * @param until when its last evidence was seen; null while {@link State#ACTIVE active}
 */
public record Verdict(String id, Layer layer, String dependency, String summary, Map<String, Object> evidence,
                      List<String> explains, String fix, Instant since, State state, Instant until) {

    /**
     * Where a verdict is in its life. The bounds are {@link Diagnoser#ACTIVE_FOR} and
     * {@link Diagnoser#RECOVERING_FOR}.
     */
    public enum State {
        /** Its last evidence is at most {@link Diagnoser#ACTIVE_FOR} old: broken now. */
        ACTIVE,
        /** No evidence for longer than that: it stopped, and stays listed until {@link Diagnoser#RECOVERING_FOR} after. */
        RECOVERING,
        /** It left the verdicts; kept in {@link Diagnosis#recent()} for the rest of the window. */
        RECENT;

        /** The lower-case name used in JSON and text, e.g. {@code recovering}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The state named by {@link #label()}. */
        public static State of(String label) {
            for (State s : values()) {
                if (s.label().equals(label)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("state: '" + label + "' is not one of active, recovering, recent");
        }
    }

    public Verdict {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(dependency, "dependency");
        Objects.requireNonNull(summary, "summary");
        evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        explains = List.copyOf(explains);
        Objects.requireNonNull(fix, "fix");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(state, "state");
        if (state != State.ACTIVE) {
            Objects.requireNonNull(until, "until (required unless active)");
        }
    }

    /** An {@link State#ACTIVE active} verdict. */
    public Verdict(String id, Layer layer, String dependency, String summary, Map<String, Object> evidence,
                   List<String> explains, String fix, Instant since) {
        this(id, layer, dependency, summary, evidence, explains, fix, since, State.ACTIVE, null);
    }

    /** Whether it is about something broken now. */
    public boolean active() {
        return state == State.ACTIVE;
    }

    /** The same verdict, explaining {@code symptoms} as well. */
    Verdict explaining(List<String> symptoms) {
        List<String> all = new java.util.ArrayList<>(explains);
        for (String s : symptoms) {
            if (!all.contains(s)) {
                all.add(s);
            }
        }
        return withExplains(all);
    }

    Verdict withExplains(List<String> ids) {
        return new Verdict(id, layer, dependency, summary, evidence, ids, fix, since, state, until);
    }

    Verdict since(Instant when) {
        return new Verdict(id, layer, dependency, summary, evidence, explains, fix, when, state, until);
    }

    Verdict in(State s, Instant lastEvidence) {
        return new Verdict(id, layer, dependency, summary, evidence, explains, fix, since, s,
                s == State.ACTIVE ? null : lastEvidence);
    }

    /**
     * The JSON object of the contract: id, layer, dependency, summary, evidence, explains, fix,
     * since, state, until (null while active).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", id);
        map.put("layer", layer.name());
        map.put("dependency", dependency);
        map.put("summary", summary);
        map.put("evidence", evidence);
        map.put("explains", explains);
        map.put("fix", fix);
        map.put("since", since.toString());
        map.put("state", state.label());
        map.put("until", until == null ? null : until.toString());
        return map;
    }

    /** {@code L1 stale-connections-after-idle [orders-db] active since 10:02:03Z: summary}. */
    public String toText() {
        return layer.label() + " " + id + " [" + dependency + "] " + state.label() + " since " + since
                + (until == null ? "" : " until " + until) + ": " + summary
                + (explains.isEmpty() ? "" : " (explains " + String.join(", ", explains) + ")");
    }
}
