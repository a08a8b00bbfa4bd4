package dev.strata.config;

import java.util.Map;

/**
 * Writes the reference tables of {@code docs/config.md} from a schema, so the page lists exactly
 * the keys the loader accepts (a test keeps the page in step with {@link ConfigSchema#standard()}).
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    /** The Markdown tables: runtime-wide keys, then the keys of each dependency and of {@code defaults}. */
    public static String markdown(ConfigSchema schema) {
        StringBuilder s = new StringBuilder();
        s.append("### Runtime-wide keys\n\n");
        table(s, schema.root(), "");
        s.append("\n### Keys of `dependencies.<name>` and of `defaults`\n\n");
        s.append("Every key below may be set under `defaults` (shared by all dependencies) and under "
                + "`dependencies.<name>` (wins over the defaults).\n\n");
        table(s, schema.dependency(), "");
        return s.toString();
    }

    private static void table(StringBuilder s, ConfigSection section, String prefix) {
        s.append("| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n");
        rows(s, section, prefix);
    }

    private static void rows(StringBuilder s, ConfigSection section, String prefix) {
        for (ConfigKey<?> key : section.keys().values()) {
            s.append("| `").append(prefix).append(key.name()).append("` | ").append(key.type().name()).append(" | ")
                    .append(key.defaultText().isEmpty() ? "" : "`" + key.defaultText() + "`").append(" | ")
                    .append(escape(key.rangeText())).append(" | ").append(escape(key.doc())).append(" |\n");
        }
        for (Map.Entry<String, ConfigSection> sub : section.sections().entrySet()) {
            s.append("| **`").append(prefix).append(sub.getKey()).append("`** | section | | | ")
                    .append(escape(sub.getValue().doc())).append(" |\n");
            rows(s, sub.getValue(), prefix + sub.getKey() + ".");
        }
    }

    private static String escape(String text) {
        return text.replace("|", "\\|");
    }
}
