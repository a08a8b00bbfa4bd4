package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import dev.strata.internal.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link ConfigAudit} found, bottom-up (L1 first) and worst first within a layer.
 *
 * @param findings every trap seen
 */
public record AuditReport(List<Finding> findings) {

    public AuditReport {
        findings = List.copyOf(findings);
    }

    /** Findings with severity {@link Severity#ERROR}: the configuration should not ship. */
    public long errors() {
        return findings.stream().filter(f -> f.severity() == Severity.ERROR).count();
    }

    public long warnings() {
        return findings.stream().filter(f -> f.severity() == Severity.WARNING).count();
    }

    /** The findings with this id. */
    public List<Finding> withId(String id) {
        return findings.stream().filter(f -> f.id().equals(id)).toList();
    }

    /** {@code {"errors": n, "warnings": n, "findings": [{id, layer, severity, subject, summary, evidence, fix}]}}. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("errors", errors());
        root.put("warnings", warnings());
        root.put("findings", findings.stream().map(Finding::toMap).toList());
        return Json.write(root);
    }

    /** One block per finding, then a count line. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        for (Finding f : findings) {
            out.append(f.toText()).append(System.lineSeparator());
            if (!f.evidence().isEmpty()) {
                out.append("    numbers: ").append(f.evidence()).append(System.lineSeparator());
            }
        }
        out.append(findings.isEmpty() ? "no trap found" : errors() + " error(s), " + warnings() + " warning(s)")
                .append(System.lineSeparator());
        return out.toString();
    }
}
