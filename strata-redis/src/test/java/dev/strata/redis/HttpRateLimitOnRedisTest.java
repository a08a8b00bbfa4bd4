package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.http.HttpRateLimit;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitPolicy;
import dev.strata.ratelimit.RateLimiter;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
    void aSlowRedisIsGivenUpAtTheLimiterTimeoutAndItsFallbackDecidesWithinTheEdgeBound() throws Exception {
        try (ChaosProxy proxy = ChaosProxy.start("redis", new InetSocketAddress("127.0.0.1", redis.port))) {
            RedisRateLimiter shared = RedisRateLimiter.builder("slow-" + System.nanoTime(), redis.connect(proxy.port()))
                    .limit(100, Duration.ofMinutes(1)).timeout(Duration.ofMillis(20)).events(quiet).build();
            HttpRateLimit limit = HttpRateLimit.builder(shared).decisionTimeout(Duration.ofMillis(50)).events(quiet).build();
            assertThat(shared.tryAcquire("warm-up")).isTrue(); // connection and script loaded

            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0));
            long worst = 0;
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                assertThat(limit.check("203.0.113.9", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
                worst = Math.max(worst, System.nanoTime() - start);
            }
            // each decision gave up on Redis at 20 ms and the local fallback decided; Redis would have answered after a second
            assertThat(Duration.ofNanos(worst)).isLessThan(Duration.ofMillis(900));
            assertThat(shared.fallbackDecisions()).isEqualTo(3);
            assertThat(limit.decisionTimeouts()).isZero();
            assertThat(limit.failedOpen()).isZero();
            proxy.removeAllToxics();
        }
    }

    @Test
    void aRedisAt50To100msLatencyIsDecidedByTheLimiterInsteadOfFailingOpen() throws Exception {
        try (ChaosProxy proxy = ChaosProxy.start("redis", new InetSocketAddress("127.0.0.1", redis.port))) {
            String name = "moderate-" + System.nanoTime();
            RedisRateLimiter shared = RedisRateLimiter.builder(name, redis.connect(proxy.port()))
                    .limit(3, Duration.ofMinutes(1)).events(quiet).build(); // default timeout 100 ms
            HttpRateLimit limit = HttpRateLimit.builder(shared).events(quiet).build(); // default decision bound
            assertThat(shared.tryAcquire("warm-up")).isTrue();

            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 75, 20)); // Redis answers in 55..95 ms
            for (int i = 0; i < 3; i++) {
                assertThat(limit.check("203.0.113.7", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
            }
            // today every one of these is FAILED_OPEN: the edge gives up at 50 ms, before the limiter's 100 ms
            assertThat(limit.check("203.0.113.7", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.LIMITED);
            assertThat(limit.failedOpen()).isZero();
            assertThat(shared.fallbackDecisions()).isZero();
            proxy.removeAllToxics();
        }
    }

    @Test
    void anEdgeBoundBelowTheRedisTimeoutIsRefusedNamingBoth() {
        RedisRateLimiter shared = RedisRateLimiter.builder("inconsistent-" + System.nanoTime(), redis.connect())
                .timeout(Duration.ofMillis(100)).events(quiet).build();
        assertThatThrownBy(() -> HttpRateLimit.builder(shared).decisionTimeout(Duration.ofMillis(50)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("decisionTimeout: 50ms")
                .hasMessageContaining("100ms");
    }

    @Test
    void everyFailOpenIsCountedAndEventedWithOneWarningPerStreak() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RateLimitPolicy policy = RateLimitPolicy.of("stuck", dev.strata.ratelimit.RateLimitAlgorithm.FIXED_WINDOW, 10, Duration.ofSeconds(1));
        RateLimiter stuck = new RateLimiter() { // a shared limiter whose store hangs
            @Override
            public RateLimitPolicy policy() {
                return policy;
            }

            @Override
            public boolean tryAcquire(String key, int permits) {
                return tryAcquire(key, permits, new RateLimitDecision());
            }

            @Override
            public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
                try {
                    release.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                into.set(true, 1, 0, 0, policy);
                return true;
            }
        };
        dev.strata.observe.EventBus bus = dev.strata.observe.EventBus.detached();
        List<StrataEvent> events = new CopyOnWriteArrayList<>();
        bus.subscribe(events::add);
        HttpRateLimit limit = HttpRateLimit.builder(stuck).decisionTimeout(Duration.ofMillis(5)).events(bus).build();
        try {
            for (int i = 0; i < 5; i++) {
                assertThat(limit.check("203.0.113.8", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.FAILED_OPEN);
            }
        } finally {
            release.countDown();
        }
        assertThat(limit.failedOpen()).isEqualTo(5);
        assertThat(events.stream().filter(e -> e.type().equals("ratelimit.failed-open"))).hasSize(5);
        assertThat(events.stream().filter(e -> e.level() == Level.WARNING)).hasSize(1);
    }
}
