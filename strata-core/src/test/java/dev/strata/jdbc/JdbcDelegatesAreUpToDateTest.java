package dev.strata.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checked-in JDBC wrappers are exactly what {@link JdbcDelegateGenerator} writes from the
 * running JDK's {@code java.sql} interfaces. Run with {@code -Dstrata.regenerate=true} to rewrite them.
 */
class JdbcDelegatesAreUpToDateTest {

    private static final Path SOURCES = Path.of("src/main/java/dev/strata/jdbc/internal");

    @Test
    void generatedWrappersMatchTheGenerator() throws Exception {
        for (Map.Entry<String, String> file : JdbcDelegateGenerator.generateAll().entrySet()) {
            Path path = SOURCES.resolve(file.getKey());
            if (Boolean.getBoolean("strata.regenerate")) {
                Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            }
            assertThat(Files.readString(path, StandardCharsets.UTF_8))
                    .as("%s is stale: regenerate it (see its first lines)", path)
                    .isEqualTo(file.getValue());
        }
    }
}
