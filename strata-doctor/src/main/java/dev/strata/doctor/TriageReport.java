package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import dev.strata.fault.Layer;
import dev.strata.internal.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link PostgresTriage} saw, layer by layer, bottom-up. {@link #stoppedAt()} is the first
 * layer with an error: the one to fix first. Layers above it are still reported, marked
 * {@code afterStop}, because what they show may be a symptom of the broken one.
 *
 * @param target {@code host:port} triaged
 * @param layers L1 to L4, in that order
 * @param serverSettings the server settings that decide the traps, as {@code pg_settings} gives them (value+unit)
 * @param kernelKeepalive this host's {@code net.ipv4.tcp_keepalive_*} values
 */
public record TriageReport(String target, List<LayerResult> layers, Map<String, Object> serverSettings,
                           Map<String, Object> kernelKeepalive) {

    public TriageReport {
        layers = List.copyOf(layers);
        serverSettings = Collections.unmodifiableMap(new LinkedHashMap<>(serverSettings));
        kernelKeepalive = Collections.unmodifiableMap(new LinkedHashMap<>(kernelKeepalive));
    }

    /**
     * One layer's part of the triage.
     *
     * @param layer which layer
     * @param ran false when a lower layer was so broken that this one could not be looked at
     * @param observations the numbers seen, whether good or bad
     * @param findings what is wrong or risky, worst first
     */
    public record LayerResult(Layer layer, boolean ran, Map<String, Object> observations, List<Finding> findings) {

        public LayerResult {
            observations = Collections.unmodifiableMap(new LinkedHashMap<>(observations));
            List<Finding> sorted = new ArrayList<>(findings);
            sorted.sort((a, b) -> b.severity().compareTo(a.severity()));
            findings = List.copyOf(sorted);
        }

        /** {@code error}, {@code warning}, {@code ok} or {@code not-run}. */
        public String status() {
            if (!ran) {
                return "not-run";
            }
            return findings.stream().map(Finding::severity).filter(s -> s != Severity.INFO).max(Enum::compareTo)
                    .map(Severity::label).orElse("ok");
        }

        boolean broken() {
            return findings.stream().anyMatch(f -> f.severity() == Severity.ERROR);
        }
    }

    /** The first layer, bottom-up, with an error finding; null when none has one. */
    public Layer stoppedAt() {
        return layers.stream().filter(LayerResult::broken).map(LayerResult::layer).findFirst().orElse(null);
    }

    /** True when no layer has an error (warnings may remain). */
    public boolean healthy() {
        return stoppedAt() == null;
    }

    /** Every finding, bottom-up. */
    public List<Finding> findings() {
        return layers.stream().flatMap(l -> l.findings().stream()).toList();
    }

    /** The finding with this id, or null. */
    public Finding finding(String id) {
        return findings().stream().filter(f -> f.id().equals(id)).findFirst().orElse(null);
    }

    /** The report as JSON for tools: target, healthy, stoppedAt, layers (with status and afterStop), settings. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("target", target);
        root.put("healthy", healthy());
        Layer stop = stoppedAt();
        root.put("stoppedAt", stop == null ? null : stop.name());
        List<Object> list = new ArrayList<>();
        for (LayerResult layer : layers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", layer.layer().name());
            m.put("status", layer.status());
            m.put("afterStop", stop != null && layer.layer().ordinal() > stop.ordinal());
            m.put("observations", layer.observations());
            m.put("findings", layer.findings().stream().map(Finding::toMap).toList());
            list.add(m);
        }
        root.put("layers", list);
        root.put("serverSettings", serverSettings);
        root.put("kernelKeepalive", kernelKeepalive);
        return Json.write(root);
    }

    /** The report as text for a person on call. */
    public String toText() {
        String nl = System.lineSeparator();
        StringBuilder out = new StringBuilder("PostgreSQL triage of ").append(target).append(nl);
        Layer stop = stoppedAt();
        for (LayerResult layer : layers) {
            boolean after = stop != null && layer.layer().ordinal() > stop.ordinal();
            out.append(nl).append(layer.layer().label()).append(' ').append(layer.layer().name()).append(": ")
                    .append(layer.status().toUpperCase(java.util.Locale.ROOT))
                    .append(after && layer.ran() ? "  (seen after the stop; may be a symptom of " + stop.label() + ")" : "")
                    .append(nl);
            TriageText.observations(layer.observations()).forEach(line -> out.append("  ").append(line).append(nl));
            for (Finding f : layer.findings()) {
                out.append("  ").append(f.toText().replace(nl, nl + "  ")).append(nl);
            }
        }
        out.append(nl).append("server settings: ").append(serverSettings).append(nl);
        out.append("local kernel keepalive: ").append(TriageText.kernelKeepalive(kernelKeepalive)).append(nl);
        out.append(nl).append(stop == null ? "No layer is broken." : "STOP at " + stop.label() + " " + stop.name()
                + ": fix this layer first; what the layers above show may follow from it.").append(nl);
        return out.toString();
    }
}
