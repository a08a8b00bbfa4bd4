package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/config.md's key tables identical to the schema. After adding keys, regenerate with
 * {@code ./mvnw -B -q -ntp -pl strata-config -am -Dtest=ConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dstrata.docs.write=true verify}.
 */
class ConfigReferenceTest {

    private static final String BEGIN = "<!-- keys:begin (generated from ConfigSchema.standard() by ConfigReferenceTest) -->\n";
    private static final String END = "<!-- keys:end -->";

    @Test
    void docsConfigListsEveryKeyOfTheStandardSchema() throws IOException {
        Path page = Path.of("..", "docs", "config.md");
        String text = Files.readString(page, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertThat(begin).as("docs/config.md has the generated-keys markers").isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String generated = ConfigReference.markdown(ConfigSchema.standard());
        String current = text.substring(begin + BEGIN.length(), end);
        if (Boolean.getBoolean("strata.docs.write") && !current.equals(generated)) {
            Files.writeString(page, text.substring(0, begin + BEGIN.length()) + generated + text.substring(end),
                    StandardCharsets.UTF_8);
            return;
        }
        assertThat(current).as("docs/config.md is out of date; regenerate it (see this test's Javadoc)").isEqualTo(generated);
    }
}
