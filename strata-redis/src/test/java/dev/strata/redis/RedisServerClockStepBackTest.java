package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.EventBus;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scripts read the server's clock ({@code TIME}). After a failover the new primary's clock
 * may be behind the one that wrote a key's state, so the stored window or arrival time is ahead
 * of "now". Such a state must be decided as it stands (its window is the newest), never reset
 * and never moved backwards. Shown by writing the state a primary one window ahead would have
 * left, then deciding on this server.
 */
class RedisServerClockStepBackTest {

    private static final Duration WINDOW = Duration.ofHours(1);
    private static final long WINDOW_MICROS = WINDOW.toNanos() / 1000;

    private static EmbeddedRedis redis;
    private static StatefulRedisConnection<String, String> connection;
    private static final AtomicInteger names = new AtomicInteger();

    @BeforeAll
    static void startRedis() {
        redis = new EmbeddedRedis();
        connection = redis.connect();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static RedisRateLimiter limiter(String name, RateLimitAlgorithm algorithm) {
        return RedisRateLimiter.builder(name, connection).algorithm(algorithm).limit(10, WINDOW)
                .timeout(Duration.ofSeconds(2)).fallback(RedisFallback.FAIL_CLOSED).events(EventBus.detached()).build();
    }

    private static String name() {
        return "clock-" + names.incrementAndGet() + "-" + System.nanoTime();
    }

    private static long serverMicros(RedisCommands<String, String> redis) {
        List<String> time = redis.time();
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    @Test
    void fixedWindowServerClockSteppedBackNeverMovesTheStoredWindowBackwards() {
        String name = name();
        RedisRateLimiter limiter = limiter(name, RateLimitAlgorithm.FIXED_WINDOW);
        RedisCommands<String, String> sync = connection.sync();
        String key = "strata:rl:" + name + ":k";
        long ahead = serverMicros(sync) / WINDOW_MICROS + 1; // the window a primary one hour ahead was in
        sync.hset(key, Map.of("w", Long.toString(ahead), "c", "9"));

        RateLimitDecision d = new RateLimitDecision();
        assertThat(limiter.tryAcquire("k", 1, d)).as("the 10th permit of the newer window").isTrue();
        assertThat(sync.hget(key, "w")).isEqualTo(Long.toString(ahead));
        assertThat(sync.hget(key, "c")).isEqualTo("10");
        assertThat(limiter.tryAcquire("k", 1, d)).as("the newer window is full").isFalse();
        assertThat(sync.hget(key, "w")).isEqualTo(Long.toString(ahead));
        assertThat(sync.hget(key, "c")).isEqualTo("10");
        assertThat(d.retryAfter()).as("until the newer window ends, by this server's clock").isGreaterThan(WINDOW);
        assertThat(limiter.fallbackDecisions()).isZero();
    }

    @Test
    void slidingWindowCounterServerClockSteppedBackNeverMovesTheStoredWindowBackwards() {
        String name = name();
        RedisRateLimiter limiter = limiter(name, RateLimitAlgorithm.SLIDING_WINDOW_COUNTER);
        RedisCommands<String, String> sync = connection.sync();
        String key = "strata:rl:" + name + ":k";
        long ahead = serverMicros(sync) / WINDOW_MICROS + 1;
        sync.hset(key, Map.of("w", Long.toString(ahead), "c", "6", "p", "4"));

        RateLimitDecision d = new RateLimitDecision();
        assertThat(limiter.tryAcquire("k", 1, d)).as("4 (previous, at full weight) + 6 (current) fill the limit").isFalse();
        assertThat(sync.hget(key, "w")).isEqualTo(Long.toString(ahead));
        assertThat(sync.hget(key, "c")).isEqualTo("6");
        assertThat(sync.hget(key, "p")).isEqualTo("4");
        assertThat(d.retryAfter()).isPositive();
        assertThat(limiter.fallbackDecisions()).isZero();
    }

    @Test
    void gcraServerClockSteppedBackNeverMovesTheArrivalTimeBackwards() {
        String name = name();
        RedisRateLimiter limiter = limiter(name, RateLimitAlgorithm.GCRA);
        RedisCommands<String, String> sync = connection.sync();
        String key = "strata:rl:" + name + ":k";
        // the whole burst taken by a primary one window ahead: its arrival time is two windows from here
        long tat = serverMicros(sync) + 2 * WINDOW_MICROS;
        sync.set(key, Long.toString(tat));

        RateLimitDecision d = new RateLimitDecision();
        assertThat(limiter.tryAcquire("k", 1, d)).isFalse();
        assertThat(sync.get(key)).isEqualTo(Long.toString(tat));
        assertThat(d.retryAfter()).isGreaterThan(WINDOW);
        assertThat(limiter.fallbackDecisions()).isZero();
    }
}
