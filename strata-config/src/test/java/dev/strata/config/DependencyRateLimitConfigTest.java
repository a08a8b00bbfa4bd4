package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.application.Strata;
import dev.strata.ratelimit.RateLimitedException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DependencyRateLimitConfigTest {

    private static LoadedConfig load(String yaml) {
        return StrataConfig.loader().schema(ConfigSchema.standard()).yaml("service.yaml", yaml).environment(Map.of()).load();
    }

    @Test
    void aDependencysRateLimitThrottlesItsPipeline() throws Exception {
        try (Strata strata = load("""
                dependencies:
                  geocoder:
                    rate_limit: {limit: 2, window: 1m, algorithm: fixed-window}
                  payments: {}
                """).build()) {
            var geocoder = strata.dependency("geocoder").pipeline();
            assertThat(geocoder.toString()).contains("rate limiter geocoder");
            geocoder.execute(() -> "ok");
            geocoder.execute(() -> "ok");
            assertThatThrownBy(() -> geocoder.execute(() -> "ok")).isInstanceOf(RateLimitedException.class);
            assertThat(strata.dependency("payments").pipeline().toString()).doesNotContain("rate limiter");
        }
    }

    @Test
    void badValuesAreLocated() {
        assertThatThrownBy(() -> load("""
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5, max_wait: 2m}
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("service.yaml:3")
                .hasMessageContaining("max_wait");
    }
}
