package dev.strata.diagnosis;

import dev.strata.fault.Layer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One thing a static audit or a triage found: a stable id (documented in {@code docs/diagnosis.md}),
 * the layer it belongs to, how bad it is, one line for a person, the numbers it rests on and what
 * to change.
 *
 * @param id stable kebab-case id, e.g. {@code idle-in-transaction}
 * @param layer the layer to fix
 * @param severity how bad
 * @param subject what it is about: a dependency, a server, a setting
 * @param summary one line for a person
 * @param evidence the numbers and strings it rests on, in insertion order
 * @param fix what to change
 */
public record Finding(String id, Layer layer, Severity severity, String subject, String summary,
                      Map<String, Object> evidence, String fix) {

    public Finding {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(severity, "severity");
        subject = subject == null ? "" : subject;
        Objects.requireNonNull(summary, "summary");
        evidence = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        fix = fix == null ? "" : fix;
    }

    /** This finding as a JSON-ready map: id, layer, severity, subject, summary, evidence, fix. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", id);
        map.put("layer", layer.name());
        map.put("severity", severity.label());
        map.put("subject", subject);
        map.put("summary", summary);
        map.put("evidence", evidence);
        map.put("fix", fix);
        return map;
    }

    /** {@code ERROR L2 idle-in-transaction [orders-db]: summary}, then the fix on the next line. */
    public String toText() {
        return severity.name() + " " + layer.label() + " " + id + (subject.isEmpty() ? "" : " [" + subject + "]") + ": "
                + summary + (fix.isEmpty() ? "" : System.lineSeparator() + "    fix: " + fix);
    }
}
