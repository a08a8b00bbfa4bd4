package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.application.Strata;
import dev.strata.config.ConfigException;
import dev.strata.config.ConfigSchema;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import dev.strata.resilience.Pipeline;
import dev.strata.ratelimit.RateLimitedException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code rate_limit.shared: redis} from a config file, against an embedded Redis. */
class RedisRateLimitConfigTest {

    private static EmbeddedRedis redis;

    @BeforeAll
    static void startRedis() {
        redis = new EmbeddedRedis();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static LoadedConfig load(String yaml) {
        return StrataConfig.loader().schema(ConfigSchema.standard()).yaml("service.yaml", yaml).environment(Map.of()).load();
    }

    private static Strata build(LoadedConfig config) {
        return config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build();
    }

    @Test
    void twoRuntimesFromOneFileShareOneBudget() {
        LoadedConfig config = load("""
                redis:
                  uri: redis://127.0.0.1:%d
                  timeout: 500ms
                dependencies:
                  geocoder-shared:
                    rate_limit: {limit: 4, window: 1m, shared: redis, fallback: fail-closed, instances: 2}
                """.formatted(redis.port));
        Set<Thread> before = lettuceThreads();
        RedisSharedLimit first;
        try (Strata a = build(config).start(); Strata b = build(config).start()) {
            Pipeline pa = a.dependency("geocoder-shared").pipeline();
            Pipeline pb = b.dependency("geocoder-shared").pipeline();
            first = a.attachments(RedisSharedLimit.class).getFirst();
            RedisSharedLimit second = b.attachments(RedisSharedLimit.class).getFirst();
            assertThat(first).isNotSameAs(second);
            assertThat(a.limiters()).containsExactly(first);   // the pipeline's limiter is the attached one, listed once
            assertThat(first.delegate().fallback()).isEqualTo(RedisFallback.FAIL_CLOSED);
            assertThat(first.delegate().policy().limit()).isEqualTo(4);

            // 4 per minute for both runtimes together: 2 + 2, then neither gets a permit
            assertThat(pa.execute(() -> "a1")).isEqualTo("a1");
            assertThat(pb.execute(() -> "b1")).isEqualTo("b1");
            assertThat(pa.execute(() -> "a2")).isEqualTo("a2");
            assertThat(pb.execute(() -> "b2")).isEqualTo("b2");
            assertThatThrownBy(() -> pa.execute(() -> "a3")).isInstanceOf(RateLimitedException.class);
            assertThatThrownBy(() -> pb.execute(() -> "b3")).isInstanceOf(RateLimitedException.class);
            assertThat(first.delegate().fallbackDecisions()).isZero();  // decided by Redis, not by a fallback
        }
        // closed with the runtime: it neither decides nor reconnects, and its client's threads are gone
        assertThatThrownBy(() -> first.connect(null)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!before.containsAll(lettuceThreads()) && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat(lettuceThreads()).isSubsetOf(before);
    }

    private static Set<Thread> lettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("lettuce-"))
                .collect(Collectors.toSet());
    }

    @Test
    void sharedLocalKeepsTheInProcessLimiter() {
        try (Strata strata = build(load("""
                dependencies:
                  geocoder-local:
                    rate_limit: {limit: 3, shared: local}
                """))) {
            strata.start();
            assertThat(strata.dependency("geocoder-local").pipeline().toString()).contains("rate limiter geocoder-local");
            assertThat(strata.attachments(RedisSharedLimit.class)).isEmpty();
        }
    }

    @Test
    void sharedRedisWithoutAUriIsLocated() {
        assertThatThrownBy(() -> load("""
                dependencies:
                  geocoder:
                    rate_limit:
                      limit: 5
                      shared: redis
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:5:")
                .hasMessageContaining("dependencies.geocoder.rate_limit.shared: 'redis'")
                .hasMessageContaining("redis.uri");
    }

    @Test
    void sharedRedisWithoutALimitIsLocated() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "redis://127.0.0.1:6379"}
                defaults:
                  rate_limit: {shared: redis}
                """ + "dependencies:\n  geocoder: {timeout: 1s}\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:3:")
                .hasMessageContaining("dependencies.geocoder.rate_limit.shared: 'redis' needs rate_limit.limit")
                .hasMessageContaining("allowed");
    }

    @Test
    void aBucketLimitFinerThanAMicrosecondIsLocated() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "redis://127.0.0.1:6379"}
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5000, window: 1ms, shared: redis}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:4:")
                .hasMessageContaining("rate_limit.limit").hasMessageContaining("5000")
                .hasMessageContaining("allowed 1..1000");
    }

    @Test
    void unknownSharedValueNamesTheAllowedOnes() {
        assertThatThrownBy(() -> load("""
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5, shared: cluster}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:3:")
                .hasMessageContaining("rate_limit.shared").hasMessageContaining("cluster")
                .hasMessageContaining("allowed: local, redis");
    }

    @Test
    void unknownFallbackNamesTheAllowedOnes() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "redis://127.0.0.1:6379"}
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5, shared: redis, fallback: fail-soft}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:4:")
                .hasMessageContaining("rate_limit.fallback").hasMessageContaining("fail-soft")
                .hasMessageContaining("fail-open, fail-closed, local");
    }

    @Test
    void instancesOutOfRangeIsLocated() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "redis://127.0.0.1:6379"}
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5, shared: redis, instances: 0}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:4:")
                .hasMessageContaining("rate_limit.instances").hasMessageContaining("1..10000");
    }

    @Test
    void aUriThatIsNotRedisIsLocated() {
        assertThatThrownBy(() -> load("""
                redis:
                  uri: http://127.0.0.1:6379
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:2:")
                .hasMessageContaining("redis.uri").hasMessageContaining("http://127.0.0.1:6379")
                .hasMessageContaining("allowed: redis, rediss");
    }

    @Test
    void slidingLogOnRedisIsLocated() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "redis://127.0.0.1:6379"}
                dependencies:
                  geocoder:
                    rate_limit: {limit: 5, shared: redis, algorithm: sliding_log}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("service.yaml:4:")
                .hasMessageContaining("rate_limit.algorithm").hasMessageContaining("sliding_log")
                .hasMessageContaining("allowed fixed_window, sliding_window_counter, token_bucket, gcra");
    }

    @Test
    void anUnreachableRedisStartsOnTheFallbackAndHealthNamesTheUri() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        try (Strata strata = build(load("""
                redis: {uri: "redis://127.0.0.1:%d"}
                dependencies:
                  geocoder-down:
                    rate_limit: {limit: 5, shared: redis}
                """.formatted(closedPort))).start()) {
            assertThat(strata.health().dependenciesJson())
                    .contains("fallback local: redis.uri redis://127.0.0.1:" + closedPort + " cannot be reached");
        }
    }

    @Test
    void theReadmeExampleLoads() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int at = readme.indexOf("**The same shared limit from a config file**");
        assertThat(at).isNotNegative();
        int begin = readme.indexOf("```yaml\n", at) + "```yaml\n".length();
        String yaml = readme.substring(begin, readme.indexOf("```", begin))
                .replace("redis://127.0.0.1:6379", "redis://127.0.0.1:" + redis.port);
        try (Strata strata = build(load(yaml)).start()) {
            Pipeline partner = strata.dependency("partner-api").pipeline();
            assertThat(partner.execute(() -> "ok")).isEqualTo("ok");
            RedisRateLimiter limiter = strata.attachments(RedisSharedLimit.class).getFirst().delegate();
            assertThat(limiter.fallback()).isEqualTo(RedisFallback.LOCAL);
            assertThat(limiter.localFallback().policy().limit()).isEqualTo(125);
        }
    }
}
