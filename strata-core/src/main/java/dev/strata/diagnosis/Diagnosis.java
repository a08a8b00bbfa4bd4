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
 * The current answer to "which layer broke?": verdicts about what is broken now first
 * ({@link Verdict.State#ACTIVE active}, most likely root cause first), then those that stopped
 * ({@link Verdict.State#RECOVERING recovering}); verdicts that recovered a while ago are listed
 * apart in {@link #recent()}. {@link #healthy()} when no verdict is active. {@link #toJson()} is
 * the contract other tools read (served by {@code ./strata shop} at {@code GET /strata/diagnosis}):
 * <pre>{"generatedAt": ISO-8601, "healthy": bool, "verdicts": [{"id", "layer", "dependency",
 *  "summary", "evidence", "explains", "fix", "since", "state", "until"}], "recent": [same shape]}</pre>
 *
 * @param generatedAt when it was computed
 * @param verdicts active ones first (most likely root cause first), then recovering ones
 * @param recent verdicts that left {@code verdicts} within the window, the latest first
 */
public record Diagnosis(Instant generatedAt, List<Verdict> verdicts, List<Verdict> recent) {

    public Diagnosis {
        Objects.requireNonNull(generatedAt, "generatedAt");
        verdicts = List.copyOf(verdicts);
        recent = List.copyOf(recent);
    }

    /** A diagnosis with no recent verdicts. */
    public Diagnosis(Instant generatedAt, List<Verdict> verdicts) {
        this(generatedAt, verdicts, List.of());
    }

    /** True when no verdict is active: nothing is broken now (some may still be recovering). */
    public boolean healthy() {
        return verdicts.stream().noneMatch(Verdict::active);
    }

    /** The active verdicts, most likely root cause first. */
    public List<Verdict> active() {
        return verdicts.stream().filter(Verdict::active).toList();
    }

    /** The first line: the most likely root cause of what is broken now, else the latest to recover; null when empty. */
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
        root.put("recent", recent.stream().map(Verdict::toMap).toList());
        return Json.write(root);
    }

    /** One line per verdict, preceded by {@code healthy} when none is active. */
    public String toText() {
        if (verdicts.isEmpty()) {
            return "healthy";
        }
        StringBuilder out = new StringBuilder(healthy() ? "healthy; recovering:" + System.lineSeparator() : "");
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
        List<Verdict> verdicts = verdicts(field(map, "verdicts", List.class), "verdicts");
        // "recent", "state" and "until" came later: a diagnosis without them is all active
        List<Verdict> recent = map.get("recent") == null ? List.of() : verdicts(field(map, "recent", List.class), "recent");
        return new Diagnosis(generatedAt, verdicts, recent);
    }

    @SuppressWarnings("unchecked")
    private static List<Verdict> verdicts(List<?> items, String name) {
        List<Verdict> verdicts = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof Map<?, ?> v)) {
                throw new IllegalArgumentException(name + ": expected objects");
            }
            List<String> explains = new ArrayList<>();
            for (Object e : field(v, "explains", List.class)) {
                explains.add(String.valueOf(e));
            }
            Verdict.State state = v.get("state") == null ? Verdict.State.ACTIVE : Verdict.State.of(field(v, "state", String.class));
            Instant until = v.get("until") == null ? null : Instant.parse(field(v, "until", String.class));
            verdicts.add(new Verdict(field(v, "id", String.class), Layer.valueOf(field(v, "layer", String.class)),
                    field(v, "dependency", String.class), field(v, "summary", String.class),
                    (Map<String, Object>) field(v, "evidence", Map.class), explains, field(v, "fix", String.class),
                    Instant.parse(field(v, "since", String.class)), state, until));
        }
        return verdicts;
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
