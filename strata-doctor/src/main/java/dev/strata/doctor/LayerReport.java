package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.fault.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Mutable while the triage runs; frozen into a {@link TriageReport.LayerResult} at the end. */
final class LayerReport {
    final Layer layer;
    final Map<String, Object> observations = new LinkedHashMap<>();
    final List<Finding> findings = new ArrayList<>();
    boolean ran = true;

    LayerReport(Layer layer) {
        this.layer = layer;
    }

    TriageReport.LayerResult freeze() {
        return new TriageReport.LayerResult(layer, ran, observations, findings);
    }
}
