package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.ratelimit.RateLimitAlgorithm;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's Redis-shared limit example, on an embedded Redis, kept compiling and true. */
class ReadmeRedisExampleTest {

    @Test
    void sharedLimit() {
        try (EmbeddedRedis server = new EmbeddedRedis()) {
            String redisUrl = "redis://127.0.0.1:" + server.port;
            // --- README: Redis-shared limit ---
            RedisClient client = RedisClient.create(redisUrl);
            client.setOptions(ClientOptions.builder()     // fail at once while disconnected, do not queue
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
            StatefulRedisConnection<String, String> redis = client.connect();   // one per process, shared
            RedisRateLimiter perApiKey = RedisRateLimiter.builder("partner-api", redis)
                    .algorithm(RateLimitAlgorithm.SLIDING_WINDOW_COUNTER)
                    .limit(1_000, Duration.ofMinutes(1))  // for all instances together
                    .timeout(Duration.ofMillis(50))       // Redis slower than this: fall back
                    .fallback(RedisFallback.LOCAL)        // ...to an in-process limiter with
                    .instances(8)                         //    1,000 / 8 = 125 per minute on each instance
                    .build();
            boolean allowed = perApiKey.tryAcquire("key-7f3a");
            // --- end ---
            assertThat(allowed).isTrue();
            assertThat(perApiKey.localFallback().policy().limit()).isEqualTo(125);
            redis.close();
            client.shutdown();
        }
    }
}
