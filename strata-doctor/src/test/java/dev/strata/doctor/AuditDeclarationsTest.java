package dev.strata.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.config.ConfigException;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One file for the runtime and the audit: the L4 loader accepts and checks the audit's declarations. */
class AuditDeclarationsTest {

    private static final String YAML = """
            service: {timeout: 10s}
            health: {readiness: [catalog]}
            dependencies:
              catalog:
                jdbc: {url: "jdbc:postgresql://127.0.0.1:5432/shop"}
                pool: {keepalive: 20s, idle_timeout: 25s}
                expect: {server_idle_timeout: 30s, rate: 200/s, latency: 20ms}
            """;

    @Test
    void theLoaderAcceptsTheDeclarationsTheAuditReads() {
        LoadedConfig config = StrataConfig.loader().environment(Map.of()).yaml("shop.yaml", YAML).load();
        assertThat(config.dependencies().get("catalog").find("expect.server_idle_timeout", Duration.class))
                .contains(Duration.ofSeconds(30));
        assertThat(config.dependencies().get("catalog").find("expect.rate", Double.class)).contains(200.0);
    }

    @Test
    void aMistypedDeclarationIsALoadErrorWithItsPlace() {
        assertThatThrownBy(() -> StrataConfig.loader().environment(Map.of())
                .yaml("shop.yaml", YAML.replace("server_idle_timeout", "server_idle_timout")).load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("expect.server_idle_timout");
    }
}
