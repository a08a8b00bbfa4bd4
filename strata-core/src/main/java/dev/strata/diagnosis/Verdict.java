package dev.strata.diagnosis;

import dev.strata.fault.Layer;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One conclusion of the runtime {@link Diagnoser}: what is wrong, in which layer, for which
 * dependency, the numbers it rests on, the higher-layer symptoms it explains, and what to
 * change. Ids are stable and documented in {@code docs/diagnosis.md}.
 *
 * @param id stable kebab-case finding id, e.g. {@code stale-connections-after-idle}
 * @param layer the layer to fix
 * @param dependency the dependency (or, for L4 findings about a shared target, the target)
 * @param summary one line for the person on call
 * @param evidence numbers and strings, plus {@code events}: the last few event lines it rests on
 * @param explains ids of other verdicts (and symptoms) this one explains; they come after it
 * @param fix what to change
 * @param since when the condition was first seen (continuously) in the window
 */
public record Verdict(String id, Layer layer, String dependency, String summary, Map<String, Object> evidence,
                      List<String> explains, String fix, Instant since) {

    public Verdict {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(dependency, "dependency");
        Objects.requireNonNull(summary, "summary");
        evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        explains = List.copyOf(explains);
        Objects.requireNonNull(fix, "fix");
        Objects.requireNonNull(since, "since");
    }

    /** The same verdict, explaining {@code symptoms} as well. */
    Verdict explaining(List<String> symptoms) {
        List<String> all = new java.util.ArrayList<>(explains);
        for (String s : symptoms) {
            if (!all.contains(s)) {
                all.add(s);
            }
        }
        return new Verdict(id, layer, dependency, summary, evidence, all, fix, since);
    }

    Verdict since(Instant when) {
        return new Verdict(id, layer, dependency, summary, evidence, explains, fix, when);
    }

    /** The JSON object of the contract: id, layer, dependency, summary, evidence, explains, fix, since. */
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
        return map;
    }

    /** {@code L1 stale-connections-after-idle [orders-db] since 10:02:03Z: summary}. */
    public String toText() {
        return layer.label() + " " + id + " [" + dependency + "] since " + since + ": " + summary
                + (explains.isEmpty() ? "" : " (explains " + String.join(", ", explains) + ")");
    }
}
