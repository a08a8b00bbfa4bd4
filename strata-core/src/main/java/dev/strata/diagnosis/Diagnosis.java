package dev.strata.diagnosis;

import dev.strata.fault.Layer;
import dev.strata.internal.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The current answer to "which layer broke?": verdicts, most likely root cause first. Empty and
 * {@link #healthy()} when nothing is wrong. {@link #toJson()} is the contract other tools read
 * (served by {@code ./strata shop} at {@code GET /strata/diagnosis}):
 * <pre>{"generatedAt": ISO-8601, "healthy": bool, "verdicts": [{"id", "layer", "dependency",
 *  "summary", "evidence", "explains", "fix", "since"}]}</pre>
 *
 * @param generatedAt when it was computed
 * @param verdicts most likely root cause first
 */
public record Diagnosis(Instant generatedAt, List<Verdict> verdicts) {

    public Diagnosis {
        Objects.requireNonNull(generatedAt, "generatedAt");
        verdicts = List.copyOf(verdicts);
    }

    /** True when there is no verdict. */
    public boolean healthy() {
        return verdicts.isEmpty();
    }

    /** The most likely root cause, or null when healthy. */
    public Verdict first() {
        return verdicts.isEmpty() ? null : verdicts.getFirst();
    }

    /** The verdict with this id (the first one if several dependencies have it), or null. */
    public Verdict verdict(String id) {
        return verdicts.stream().filter(v -> v.id().equals(id)).findFirst().orElse(null);
    }

    /** The JSON of the contract, in the documented key order. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("generatedAt", generatedAt.toString());
        root.put("healthy", healthy());
        root.put("verdicts", verdicts.stream().map(Verdict::toMap).toList());
        return Json.write(root);
    }

    /** One line per verdict, or {@code healthy}. */
    public String toText() {
        if (verdicts.isEmpty()) {
            return "healthy";
        }
        StringBuilder out = new StringBuilder();
        for (Verdict v : verdicts) {
            out.append(v.toText()).append(System.lineSeparator()).append("    fix: ").append(v.fix())
                    .append(System.lineSeparator());
        }
        return out.toString();
    }

    /**
     * Reads the JSON {@link #toJson()} writes, e.g. from a running service's
     * {@code /strata/diagnosis}.
     *
     * @throws IllegalArgumentException when the text is not JSON of this shape, naming the field
     */
    @SuppressWarnings("unchecked")
    public static Diagnosis parse(String json) {
        Object root = Json.parse(json, "diagnosis");
        if (!(root instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("diagnosis: expected a JSON object");
        }
        Instant generatedAt = Instant.parse(field(map, "generatedAt", String.class));
        List<Verdict> verdicts = new ArrayList<>();
        for (Object item : field(map, "verdicts", List.class)) {
            if (!(item instanceof Map<?, ?> v)) {
                throw new IllegalArgumentException("verdicts: expected objects");
            }
            List<String> explains = new ArrayList<>();
            for (Object e : field(v, "explains", List.class)) {
                explains.add(String.valueOf(e));
            }
            verdicts.add(new Verdict(field(v, "id", String.class), Layer.valueOf(field(v, "layer", String.class)),
                    field(v, "dependency", String.class), field(v, "summary", String.class),
                    (Map<String, Object>) field(v, "evidence", Map.class), explains, field(v, "fix", String.class),
                    Instant.parse(field(v, "since", String.class))));
        }
        return new Diagnosis(generatedAt, verdicts);
    }

    private static <T> T field(Map<?, ?> map, String name, Class<T> type) {
        Object value = map.get(name);
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException(name + ": expected " + type.getSimpleName().toLowerCase(java.util.Locale.ROOT)
                    + ", got " + (value == null ? "nothing" : value.getClass().getSimpleName()));
        }
        return type.cast(value);
    }
}
