package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.config.ConfigReference;
import dev.strata.config.ConfigSchema;
import dev.strata.config.DependencyRateLimitConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps the strata-redis key table of docs/config.md identical to {@link RedisRateLimitConfig}
 * (strata-config's own reference test cannot see this module). After changing keys, regenerate with
 * {@code ./mvnw -B -q -ntp -pl strata-redis -am -Dtest=RedisConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dstrata.docs.write=true verify}.
 */
class RedisConfigReferenceTest {

    private static final String BEGIN = "<!-- redis-keys:begin (generated from RedisRateLimitConfig by RedisConfigReferenceTest) -->\n";
    private static final String END = "<!-- redis-keys:end -->";

    /** The rows the extension adds to the reference, under the table header. */
    static String generated() {
        String base = ConfigReference.markdown(ConfigSchema.core().with(new DependencyRateLimitConfig()));
        String full = ConfigReference.markdown(ConfigSchema.core().with(new DependencyRateLimitConfig()).with(new RedisRateLimitConfig()));
        Set<String> known = base.lines().collect(Collectors.toSet());
        List<String> added = full.lines().filter(l -> l.startsWith("| ") && !known.contains(l)).toList();
        return "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n" + String.join("\n", added) + "\n";
    }

    @Test
    void theReferenceListsTheRedisKeys() throws IOException {
        Path page = Path.of("..", "docs", "config.md");
        String text = Files.readString(page, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertThat(begin).as("docs/config.md has the redis-keys markers").isNotNegative();
        String current = text.substring(begin + BEGIN.length(), end);
        String generated = generated();
        assertThat(generated).contains("`redis.uri`", "`rate_limit.shared`", "`rate_limit.fallback`", "`rate_limit.instances`");
        if (Boolean.getBoolean("strata.docs.write") && !current.equals(generated)) {
            Files.writeString(page, text.substring(0, begin + BEGIN.length()) + generated + text.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertThat(current).as("docs/config.md is out of date; regenerate it (see this test's Javadoc)").isEqualTo(generated);
    }
}
