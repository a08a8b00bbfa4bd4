package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.application.Strata;
import dev.strata.config.ConfigException;
import dev.strata.config.ConfigSchema;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import dev.strata.observe.StrataEvent;
import dev.strata.ratelimit.RateLimitedException;
import dev.strata.resilience.Pipeline;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue item 1: a shared Redis limit with a fallback must not turn a Redis outage during a
 * rolling restart into a total outage, and the password in {@code redis.uri} must never be
 * printed.
 */
class RedisDownAtStartTest {

    private static final String PASSWORD = "s3cret-pw";

    private static LoadedConfig load(String yaml) {
        return StrataConfig.loader().schema(ConfigSchema.standard()).yaml("service.yaml", yaml).environment(Map.of()).load();
    }

    @Test
    void aSharedLimitWithALocalFallbackStartsWhileRedisIsDownAndSwitchesToRedisWhenItAnswers() throws Exception {
        Set<Thread> before = strataAndLettuceThreads();
        try (EmbeddedRedis redis = new EmbeddedRedis(PASSWORD)) {
            redis.stop(); // Redis is down during the (rolling) restart
            LoadedConfig config = load("""
                    redis:
                      uri: redis://:%s@127.0.0.1:%d
                      timeout: 500ms
                    dependencies:
                      geocoder-restart:
                        rate_limit: {limit: 4, window: 1m, shared: redis, fallback: local, instances: 2}
                    """.formatted(PASSWORD, redis.port));
            assertThat(config.describe()).doesNotContain(PASSWORD).contains("redis://******@127.0.0.1:" + redis.port);

            List<StrataEvent> events = new CopyOnWriteArrayList<>();
            try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
                strata.events().subscribe(events::add);
                strata.start(); // today: IllegalStateException "redis.uri: redis://:s3cret-pw@... cannot be reached"
                assertThat(strata.state()).isEqualTo(Strata.State.RUNNING);
                RedisSharedLimit shared = strata.attachments(RedisSharedLimit.class).getFirst();
                assertThat(shared.toString()).doesNotContain(PASSWORD).contains("******@");
                assertThat(shared.connected()).isFalse();

                // the local fallback decides: 4 shared by 2 instances = 2 per minute here
                Pipeline geocoder = strata.dependency("geocoder-restart").pipeline();
                assertThat(geocoder.execute(() -> "one")).isEqualTo("one");
                assertThat(geocoder.execute(() -> "two")).isEqualTo("two");
                assertThatThrownBy(() -> geocoder.execute(() -> "three")).isInstanceOf(RateLimitedException.class);
                long fallbackDecisions = shared.delegate().fallbackDecisions(); // 3, or 4 when max_wait asked again
                assertThat(fallbackDecisions).isBetween(3L, 4L);
                String health = strata.health().dependenciesJson();
                assertThat(health).contains("\"rate_limit\"").contains("fallback local").doesNotContain(PASSWORD);
                assertThat(events).anyMatch(e -> e.type().equals("ratelimit.shared-connect-failed")
                        && e.message().contains("redis://******@127.0.0.1:" + redis.port));

                redis.start();
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!shared.connected() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(shared.connected()).isTrue();
                // Redis decides now: a fresh budget of 4 for the whole cluster, no fallback decision
                assertThat(geocoder.execute(() -> "four")).isEqualTo("four");
                assertThat(shared.delegate().fallbackDecisions()).isEqualTo(fallbackDecisions);
                assertThat(shared.delegate().inFallback()).isFalse();
                assertThat(strata.health().dependenciesJson()).contains("\"mode\":\"shared\"");
                assertThat(events).anyMatch(e -> e.type().equals("ratelimit.shared-connected"));
                assertThat(events).anyMatch(e -> e.type().equals("ratelimit.shared-resumed"));
                assertThat(events).noneMatch(e -> e.message().contains(PASSWORD));
            }
            assertNoRedisKeyWithoutTtl(redis);
        }
        awaitGone(before);
    }

    @Test
    void aRedisPasswordNeverAppearsInConfigErrors() {
        assertThatThrownBy(() -> load("""
                redis: {uri: "http://:%s@127.0.0.1:6379"}
                """.formatted(PASSWORD)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http://******@127.0.0.1:6379")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void aClosedLimiterStopsRetryingAndHoldsNoThreads() throws Exception {
        Set<Thread> before = strataAndLettuceThreads();
        try (EmbeddedRedis redis = new EmbeddedRedis()) {
            redis.stop();
            LoadedConfig config = load("""
                    redis: {uri: "redis://127.0.0.1:%d", timeout: 200ms}
                    dependencies:
                      geocoder-never:
                        rate_limit: {limit: 5, shared: redis, fallback: fail-closed}
                    """.formatted(redis.port));
            try (Strata strata = config.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build().start()) {
                assertThatThrownBy(() -> strata.dependency("geocoder-never").pipeline().execute(() -> "x"))
                        .isInstanceOf(RateLimitedException.class); // fail-closed decides while Redis is down
            }
        }
        awaitGone(before);
    }

    private static void assertNoRedisKeyWithoutTtl(EmbeddedRedis redis) {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(redis.port)
                .withPassword(PASSWORD.toCharArray()).build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<String> keys = c.sync().keys("strata:rl:*");
            assertThat(keys).isNotEmpty();
            for (String key : keys) {
                assertThat(c.sync().pttl(key)).as("TTL of " + key).isPositive();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static Set<Thread> strataAndLettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive()
                && (t.getName().startsWith("lettuce-") || t.getName().startsWith("strata-redis"))).collect(Collectors.toSet());
    }

    private static void awaitGone(Set<Thread> before) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!before.containsAll(strataAndLettuceThreads()) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(strataAndLettuceThreads()).isSubsetOf(before);
    }
}
