package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The YAML excerpt of the README's L4 section and the example of docs/config.md load as shown. */
class ReadmeConfigExampleTest {

    private static String yamlAfter(Path file, String heading) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int at = text.indexOf(heading);
        assertThat(at).as(heading).isNotNegative();
        int begin = text.indexOf("```yaml\n", at) + "```yaml\n".length();
        return text.substring(begin, text.indexOf("```", begin));
    }

    @Test
    void theReadmeExcerptLoads() throws IOException {
        check(yamlAfter(Path.of("..", "README.md"), "## Organising it: one runtime per process"));
    }

    @Test
    void theReferencePageExampleLoads() throws IOException {
        check(yamlAfter(Path.of("..", "docs", "config.md"), "## An example"));
    }

    private static void check(String yaml) {
        LoadedConfig config = StrataConfig.loader().schema(ConfigSchema.core()).yaml("excerpt.yaml", yaml)
                .environment(Map.of("SHOP_DB_PASSWORD", "pw")).load();
        try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.dependencies().keySet()).containsExactly("catalog", "payments");
            assertThat(strata.dependency("payments").bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(20);
            assertThat(strata.dependency("catalog").poolTarget().orElseThrow().server()).isEqualTo("127.0.0.1:5432");
        }
    }
}
