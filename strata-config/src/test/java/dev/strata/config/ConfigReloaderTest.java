package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A changed file, loaded as at start and handed to the runtime: applied, refused, or invalid, whole. */
class ConfigReloaderTest {

    private static final String FILE = """
            dependencies:
              catalog:
                jdbc: {url: "jdbc:postgresql://127.0.0.1:1/shop", user: shop}
                pool: {max_size: 10}
              payments:
                timeout: 2s
                retry: {attempts: 2}
                breaker: {failure_rate: 50%}
                rate_limit: {limit: 100, window: 1s}
            """;

    @TempDir
    Path dir;

    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    private LoadedConfig load(Path file) {
        return StrataConfig.loader().file(file).environment(Map.of()).load();
    }

    @Test
    void aChangedFileIsAppliedRefusedOrRejectedWhole() throws Exception {
        bus.subscribe(events::add);
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, FILE);
        LoadedConfig loaded = load(file);
        try (Strata strata = loaded.builder().events(bus).build()) {
            ConfigReloader reloader = new ConfigReloader(strata, loaded, c -> c.builder().events(bus));

            // a lower timeout: applied, located at the new value
            Files.writeString(file, FILE.replace("timeout: 2s", "timeout: 500ms").replace("failure_rate: 50%", "failure_rate: 25%"));
            ConfigReloader.Outcome applied = reloader.reload(() -> load(file));
            assertThat(applied.applied()).isTrue();
            assertThat(applied.lines()).containsExactly(
                    file + ":6:14: payments.timeout 2.00s -> 500ms",
                    file + ":8:29: payments.breaker.failure_rate 50% -> 25%");
            assertThat(strata.dependency("payments").pipeline().tuning().timeout().duration()).isEqualTo(Duration.ofMillis(500));
            assertThat(strata.dependency("payments").circuitBreaker().orElseThrow().settings().failureRate()).isEqualTo(0.25);

            // a pool size and a rate limit: refused whole, the 500 ms timeout still in force
            Files.writeString(file, FILE.replace("max_size: 10", "max_size: 20").replace("limit: 100", "limit: 200"));
            ConfigReloader.Outcome refused = reloader.reload(() -> load(file));
            assertThat(refused.applied()).isFalse();
            assertThat(refused.lines()).containsExactly(
                    file + ":9:25: dependency 'payments': rate_limit.limit 100 -> 200 needs a restart (its limiter is built once, at start)",
                    file + ":4:22: dependency 'catalog': pool.max_size 10 -> 20 needs a restart (a pool's size and settings are fixed while it holds connections)");
            assertThat(refused.summary()).startsWith("reload refused, nothing applied: ");
            assertThat(strata.dependency("payments").pipeline().tuning().timeout().duration()).isEqualTo(Duration.ofMillis(500));

            // an invalid file: nothing applied, every problem located as at start
            Files.writeString(file, FILE.replace("timeout: 2s", "timeout: 1s").replace("attempts: 2", "attemps: 2"));
            ConfigReloader.Outcome invalid = reloader.reload(() -> load(file));
            assertThat(invalid.applied()).isFalse();
            assertThat(invalid.report()).isNull();
            assertThat(invalid.summary()).isEqualTo("reload refused, invalid configuration (nothing applied): "
                    + file + ":7:13: dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?");
            assertThat(strata.dependency("payments").pipeline().tuning().timeout().duration()).isEqualTo(Duration.ofMillis(500));
            assertThat(reloader.running().dependencies().get("payments").find("timeout", Duration.class)).contains(Duration.ofMillis(500));

            // one event per reload: applied, refused by the runtime, refused as invalid
            assertThat(events).filteredOn(e -> e.type().startsWith("runtime.reload")).extracting(StrataEvent::type)
                    .containsExactly("runtime.reloaded", "runtime.reload-refused", "runtime.reload-refused");
        }
    }
}
