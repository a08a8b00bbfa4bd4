package dev.strata.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Shared limits on a real Redis, with several limiters standing for several service instances. */
class RedisRateLimiterTest {

    private static EmbeddedRedis redis;
    private static final AtomicInteger names = new AtomicInteger();

    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    RedisRateLimiterTest() {
        bus.subscribe(events::add);
    }

    @BeforeAll
    static void startRedis() {
        redis = new EmbeddedRedis();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static String uniqueName() {
        return "test-" + names.incrementAndGet() + "-" + System.nanoTime();
    }

    @ParameterizedTest
    @EnumSource(value = RateLimitAlgorithm.class, names = {"FIXED_WINDOW", "SLIDING_WINDOW_COUNTER", "TOKEN_BUCKET", "GCRA"})
    void fourInstancesAndSixteenClientsShareOneLimitWithoutOverAdmission(RateLimitAlgorithm algorithm) throws Exception {
        String name = uniqueName();
        int instances = 4;
        List<RedisRateLimiter> limiters = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            limiters.add(RedisRateLimiter.builder(name, redis.connect()).algorithm(algorithm)
                    .limit(1000, Duration.ofDays(1)).timeout(Duration.ofSeconds(2)).events(bus).build());
        }
        // a day-long window aligned to the server's epoch: do not start in its last minute
        RateLimitDecision probe = limiters.get(0).decide("probe");
        assertThat(probe.allowed()).isTrue();
        if (algorithm == RateLimitAlgorithm.FIXED_WINDOW && probe.resetNanos() < Duration.ofMinutes(1).toNanos()) {
            Thread.sleep(probe.resetNanos() / 1_000_000 + 100);
        }
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger asked = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            RedisRateLimiter limiter = limiters.get(c % instances);
            clients.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 150; i++) {
                    asked.incrementAndGet();
                    if (limiter.tryAcquire("hot-key")) {
                        admitted.incrementAndGet();
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : clients) {
            assertThat(t.join(Duration.ofSeconds(25))).isTrue();
        }
        assertThat(asked).hasValue(2400);
        // the bucket refills 1000 per day (0.01 per second): none within the test
        assertThat(admitted).hasValue(1000);
        for (RedisRateLimiter l : limiters) {
            assertThat(l.fallbackDecisions()).isZero();
        }
        RateLimitDecision after = limiters.get(3).decide("hot-key");
        assertThat(after.allowed()).isFalse();
        assertThat(after.remaining()).isZero();
        assertThat(after.retryAfterNanos()).isPositive();
    }

    @Test
    void theDecisionCarriesTheServersNumbersAndKeysExpire() throws Exception {
        String name = uniqueName();
        StatefulRedisConnection<String, String> connection = redis.connect();
        RedisRateLimiter limiter = RedisRateLimiter.builder(name, connection).algorithm(RateLimitAlgorithm.GCRA)
                .limit(2, Duration.ofHours(1)).timeout(Duration.ofSeconds(2)).events(bus).build(); // slow refill: a loaded machine cannot move the numbers
        RateLimitDecision d = new RateLimitDecision();
        assertThat(limiter.tryAcquire("k", 1, d)).isTrue();
        assertThat(d.remaining()).isEqualTo(1);
        assertThat(limiter.tryAcquire("k", 1, d)).isTrue();
        assertThat(d.remaining()).isZero();
        assertThat(limiter.tryAcquire("k", 1, d)).isFalse();
        assertThat(d.retryAfter()).isBetween(Duration.ofMinutes(29), Duration.ofMinutes(30)); // one permit per 30 min
        assertThat(events).anyMatch(e -> e.type().equals("ratelimit.rejected"));
        long ttl = connection.sync().pttl("strata:rl:" + name + ":k");
        assertThat(ttl).isBetween(Duration.ofMinutes(59).toMillis(), Duration.ofMinutes(60).toMillis() + 1); // gone when the bucket is full again
    }

    @Test
    void aFlushedScriptCacheIsReloadedTransparently() {
        String name = uniqueName();
        StatefulRedisConnection<String, String> connection = redis.connect();
        RedisRateLimiter limiter = RedisRateLimiter.builder(name, connection).algorithm(RateLimitAlgorithm.FIXED_WINDOW)
                .limit(5, Duration.ofMinutes(10)).timeout(Duration.ofSeconds(2)).events(bus).build();
        assertThat(limiter.tryAcquire("k")).isTrue();
        connection.sync().scriptFlush();
        assertThat(limiter.tryAcquire("k")).isTrue(); // NOSCRIPT -> SCRIPT LOAD -> EVALSHA again
        assertThat(limiter.fallbackDecisions()).isZero();
    }

    @Test
    void slowRedisFallsBackWithinTheTimeoutAndTheBreakerStopsWaitingOnIt() throws Exception {
        try (ChaosProxy proxy = ChaosProxy.start("redis", new InetSocketAddress("127.0.0.1", redis.port))) {
            String name = uniqueName();
            RedisRateLimiter limiter = RedisRateLimiter.builder(name, redis.connect(proxy.port()))
                    .limit(10, Duration.ofSeconds(10)).timeout(Duration.ofMillis(150)).fallback(RedisFallback.FAIL_CLOSED)
                    .events(bus).build();
            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 2_000, 0));
            long worst = 0;
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                assertThat(limiter.tryAcquire("k")).isFalse();
                worst = Math.max(worst, System.nanoTime() - start);
            }
            // three timeouts of 150 ms open the breaker; the rest are refused without asking Redis
            assertThat(Duration.ofNanos(worst)).isLessThan(Duration.ofSeconds(1));
            assertThat(limiter.breaker().state().name()).isEqualTo("OPEN");
            assertThat(limiter.fallbackDecisions()).isEqualTo(10);
            assertThat(events).filteredOn(e -> e.type().equals("ratelimit.shared-unavailable")).hasSize(1);
            assertThat(events).filteredOn(e -> e.type().equals("ratelimit.fallback-decision")).hasSize(10);
            proxy.removeAllToxics();
        }
    }

    @Test
    void redisStoppedMidTestFallsBackAsConfiguredAndSharedLimitingResumesWhenItIsBack() throws Exception {
        try (EmbeddedRedis own = new EmbeddedRedis()) {
            String name = uniqueName();
            RedisRateLimiter failOpen = RedisRateLimiter.builder(name + "-open", own.connect()).limit(4, Duration.ofMinutes(10))
                    .timeout(Duration.ofMillis(200)).fallback(RedisFallback.FAIL_OPEN).events(bus).build();
            RedisRateLimiter failClosed = RedisRateLimiter.builder(name + "-closed", own.connect()).limit(4, Duration.ofMinutes(10))
                    .timeout(Duration.ofMillis(200)).fallback(RedisFallback.FAIL_CLOSED).events(bus).build();
            List<RedisRateLimiter> local = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                local.add(RedisRateLimiter.builder(name, own.connect()).limit(40, Duration.ofMinutes(10))
                        .timeout(Duration.ofMillis(200)).fallback(RedisFallback.LOCAL).instances(2).events(bus).build());
            }
            assertThat(failOpen.tryAcquire("k", 4)).isTrue();
            failClosed.tryAcquire("k"); // shared while Redis is up (or already the fallback on a very slow machine)
            local.get(0).tryAcquire("k", 30);

            own.stop();

            AtomicLong worst = new AtomicLong();
            assertThat(time(worst, () -> failOpen.tryAcquire("k"))).as("fail-open admits").isTrue();
            assertThat(time(worst, () -> failClosed.tryAcquire("k"))).as("fail-closed refuses").isFalse();
            // local fallback: 40 / 2 instances = 20 per instance, from a fresh local state
            int admittedLocally = 0;
            for (int i = 0; i < 30; i++) {
                if (time(worst, () -> local.get(0).tryAcquire("k"))) {
                    admittedLocally++;
                }
            }
            assertThat(admittedLocally).isEqualTo(20);
            assertThat(Duration.ofNanos(worst.get())).as("each fallback decision within the 200 ms timeout (+ slack)").isLessThan(Duration.ofMillis(1000));
            assertThat(local.get(0).tryAcquire("k", 30)).as("30 > the local share of 20: refused, not an error").isFalse();
            assertThat(failOpen.fallbackDecisions()).isPositive();
            assertThat(failClosed.fallbackDecisions()).isPositive();
            assertThat(local.get(0).fallbackDecisions()).isGreaterThanOrEqualTo(31);
            assertThat(events).filteredOn(e -> e.type().equals("ratelimit.shared-unavailable")).hasSize(3);

            own.start();

            // the connection comes back (Lettuce reconnects) and the breaker's probe succeeds
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!sharedAgain(local.get(0))) {
                assertThat(System.nanoTime()).as("shared limiting resumed within 15 s").isLessThan(until);
                Thread.sleep(100);
            }
            // Redis lost its data on restart: the shared limit starts afresh and is shared again
            String key = "after-restart";
            int admitted = 0;
            for (int i = 0; i < 60; i++) {
                if (local.get(i % 2).tryAcquire(key)) {
                    admitted++;
                }
            }
            assertThat(admitted).isEqualTo(40);
            assertThat(local.get(0).inFallback()).isFalse();
            assertThat(events).anyMatch(e -> e.type().equals("ratelimit.shared-resumed"));
        }
    }

    /** Asks once on a throwaway key; true when Redis, not the fallback, answered. */
    private static boolean sharedAgain(RedisRateLimiter limiter) {
        long before = limiter.fallbackDecisions();
        limiter.tryAcquire("ping-" + System.nanoTime());
        return limiter.fallbackDecisions() == before;
    }

    private interface Decision {
        boolean decide();
    }

    private static boolean time(AtomicLong worst, Decision decision) {
        long start = System.nanoTime();
        boolean r = decision.decide();
        worst.accumulateAndGet(System.nanoTime() - start, Math::max);
        return r;
    }

    @Test
    void badConfigurationIsRefused() {
        StatefulRedisConnection<String, String> connection = redis.connect();
        assertThatThrownBy(() -> RedisRateLimiter.builder("x", connection).algorithm(RateLimitAlgorithm.SLIDING_LOG).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("algorithm: sliding-log is not allowed");
        assertThatThrownBy(() -> RedisRateLimiter.builder("x", connection).instances(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("instances: 0 is out of range; allowed 1..10000");
        assertThatThrownBy(() -> RedisRateLimiter.builder("x", connection).timeout(Duration.ofMinutes(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timeout: ");
        assertThatThrownBy(() -> RedisFallback.fromCode("maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'maybe'");
    }
}
