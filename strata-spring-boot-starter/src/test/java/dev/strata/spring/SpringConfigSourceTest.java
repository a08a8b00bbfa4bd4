package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.config.ConfigException;
import dev.strata.config.ConfigValues;
import dev.strata.config.LoadedConfig;
import dev.strata.fault.FaultKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** The Spring spelling of the keys means what the Strata spelling means. */
class SpringConfigSourceTest {

    @Test
    void kebabCaseIndexedListsAndDependencyNamesWithDashes() {
        StandardEnvironment env = environment(Map.of(
                "strata.defaults.timeout", "2s",
                "strata.dependencies.orders-db.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/shop",
                "strata.dependencies.orders-db.pool.max-size", "7",
                "strata.dependencies.payments.http.base-url", "http://127.0.0.1:8081/",
                "strata.dependencies.payments.fallback[0]", "circuit-open",
                "strata.dependencies.payments.fallback[1]", "bulkhead-full",
                "strata.dependencies.payments.retry.attempts", "${payments.attempts}",
                "payments.attempts", "4"));
        LoadedConfig loaded = SpringConfigSource.load(env);
        ConfigValues orders = loaded.dependencies().get("orders-db");
        assertThat(orders.get("pool.max_size", Integer.class)).isEqualTo(7);
        ConfigValues payments = loaded.dependencies().get("payments");
        assertThat(payments.get("timeout", Duration.class)).isEqualTo(Duration.ofSeconds(2));
        assertThat(payments.get("retry.attempts", Integer.class)).isEqualTo(4);
        assertThat(payments.find("fallback", List.class).orElseThrow()).containsExactly(FaultKind.CIRCUIT_OPEN, FaultKind.BULKHEAD_FULL);
    }

    @Test
    void springDatasourceFillsThePrimaryDependencyAndStrataKeysWin() {
        StandardEnvironment env = environment(Map.of(
                "spring.datasource.url", "jdbc:postgresql://127.0.0.1:5432/app",
                "spring.datasource.username", "app",
                "spring.datasource.password", "secret"));
        LoadedConfig loaded = SpringConfigSource.load(env);
        ConfigValues db = loaded.dependencies().get(StrataSpringSettings.DEFAULT_DATASOURCE);
        assertThat(db.get("jdbc.url", String.class)).isEqualTo("jdbc:postgresql://127.0.0.1:5432/app");
        assertThat(db.get("jdbc.user", String.class)).isEqualTo("app");
        assertThat(loaded.describe()).doesNotContain("secret");

        StandardEnvironment named = environment(Map.of(
                "spring.datasource.url", "jdbc:postgresql://127.0.0.1:5432/app",
                "spring.datasource.username", "app",
                "strata.dependencies.catalog.jdbc.url", "jdbc:postgresql://10.0.0.1:5432/catalog"));
        ConfigValues catalog = SpringConfigSource.load(named).dependencies().get("catalog");
        assertThat(catalog.get("jdbc.url", String.class)).isEqualTo("jdbc:postgresql://10.0.0.1:5432/catalog");
        assertThat(catalog.get("jdbc.user", String.class)).isEqualTo("app");
    }

    @Test
    void aStrataFileLoadsFirstAndSpringKeysOverrideIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("strata.yaml");
        Files.writeString(file, "dependencies:\n  payments:\n    timeout: 2s\n    retry: {attempts: 3}\n");
        StandardEnvironment env = environment(Map.of(
                SpringConfigSource.CONFIG_FILE, file.toString(),
                "strata.dependencies.payments.retry.attempts", "5"));
        ConfigValues payments = SpringConfigSource.load(env).dependencies().get("payments");
        assertThat(payments.get("timeout", Duration.class)).isEqualTo(Duration.ofSeconds(2));
        assertThat(payments.get("retry.attempts", Integer.class)).isEqualTo(5);

        Files.writeString(file, "dependencies:\n  payments:\n    timeot: 2s\n");
        assertThatThrownBy(() -> SpringConfigSource.load(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":3:5: dependencies.payments.timeot: unknown key, did you mean 'timeout'?");
    }

    @Test
    void aValueOutOfRangeNamesTheSpringKeyAndThePropertySource() {
        StandardEnvironment env = environment(Map.of("strata.dependencies.payments.retry.attempts", "500"));
        assertThatThrownBy(() -> SpringConfigSource.load(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("test (strata.dependencies.payments.retry.attempts): strata.dependencies.payments.retry.attempts: '500'")
                .hasMessageContaining("1..100");
    }

    private static StandardEnvironment environment(Map<String, Object> properties) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", new LinkedHashMap<>(properties)));
        return env;
    }
}
