package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.http.HttpRateLimit;
import dev.strata.observe.EventBus;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server-side request limit on a shared Redis limiter: instances share one budget per client,
 * and a slow Redis never holds a server thread longer than the decision timeout.
 */
class HttpRateLimitOnRedisTest {

    private static EmbeddedRedis redis;
    private final EventBus quiet = EventBus.detached();

    @BeforeAll
    static void startRedis() {
        redis = new EmbeddedRedis();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void twoInstancesShareOneBudgetPerClientWithTheDraftHeaders() {
        String name = "checkout-" + System.nanoTime();
        HttpRateLimit instanceA = HttpRateLimit.builder(RedisRateLimiter.builder(name, redis.connect())
                .limit(4, Duration.ofMinutes(10)).events(quiet).build()).decisionTimeout(Duration.ofSeconds(2)).build();
        HttpRateLimit instanceB = HttpRateLimit.builder(RedisRateLimiter.builder(name, redis.connect())
                .limit(4, Duration.ofMinutes(10)).events(quiet).build()).decisionTimeout(Duration.ofSeconds(2)).build();
        Map<String, String> headers = new HashMap<>();

        for (int i = 0; i < 4; i++) {
            HttpRateLimit instance = i % 2 == 0 ? instanceA : instanceB;
            assertThat(instance.check("203.0.113.9", headers::put)).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
        }
        assertThat(instanceB.check("203.0.113.9", headers::put)).isEqualTo(HttpRateLimit.Outcome.LIMITED);
        assertThat(headers.get("RateLimit")).startsWith("\"" + name + "\";r=0;t=");
        assertThat(headers.get("RateLimit-Policy")).isEqualTo("\"" + name + "\";q=4;w=600");
        assertThat(Long.parseLong(headers.get("Retry-After"))).isPositive();
        assertThat(instanceA.check("203.0.113.10", headers::put)).isEqualTo(HttpRateLimit.Outcome.ALLOWED); // another client
    }

    @Test
    void aSlowRedisIsAbandonedAtTheDecisionTimeoutAndTheRequestFailsOpen() throws Exception {
        try (ChaosProxy proxy = ChaosProxy.start("redis", new InetSocketAddress("127.0.0.1", redis.port))) {
            RedisRateLimiter shared = RedisRateLimiter.builder("slow-" + System.nanoTime(), redis.connect(proxy.port()))
                    .limit(100, Duration.ofMinutes(1)).timeout(Duration.ofSeconds(2)).events(quiet).build();
            HttpRateLimit limit = HttpRateLimit.builder(shared).decisionTimeout(Duration.ofMillis(50)).build();
            assertThat(shared.tryAcquire("warm-up")).isTrue(); // connection and script loaded, without a bound

            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0));
            long worst = 0;
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                assertThat(limit.check("203.0.113.9", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.FAILED_OPEN);
                worst = Math.max(worst, System.nanoTime() - start);
            }
            // each decision gave up at 50 ms; Redis would have answered after a second
            assertThat(Duration.ofNanos(worst)).isLessThan(Duration.ofMillis(900));
            assertThat(limit.decisionTimeouts()).isEqualTo(5);
            assertThat(limit.failedOpen()).isEqualTo(5);
            proxy.removeAllToxics();
        }
    }
}
