package dev.strata.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Per-key state: idle keys expire without changing decisions, the cap holds, races lose nothing. */
class RateLimiterKeysTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    RateLimiterKeysTest() {
        bus.subscribe(events::add);
    }

    private LocalRateLimiter limiter(RateLimitAlgorithm algorithm, int limit, int maxKeys) {
        return LocalRateLimiter.builder("api").algorithm(algorithm).limit(limit, Duration.ofSeconds(10))
                .maxKeys(maxKeys).clock(clock).events(bus).build();
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void idleKeysAreDroppedAndOnlyThem(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 3, 10_000);
        for (int i = 0; i < 1000; i++) {
            limiter.tryAcquire("idle-" + i, 3);
        }
        clock.advance(Duration.ofSeconds(25)); // more than two windows: every state is at rest
        limiter.tryAcquire("busy", 3);
        assertThat(limiter.keys()).isEqualTo(1001);
        assertThat(limiter.evictIdle()).isEqualTo(1000);
        assertThat(limiter.keys()).isEqualTo(1);
        assertThat(limiter.evictedIdleCount()).isEqualTo(1000);
        assertThat(limiter.tryAcquire("busy")).as("the active key kept its state").isFalse();
        assertThat(limiter.tryAcquire("idle-1", 3)).as("a dropped key decides as new").isTrue();
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void atTheCapIdleKeysGoFirst(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 2, 100);
        for (int i = 0; i < 100; i++) {
            limiter.tryAcquire("old-" + i, 2);
        }
        clock.advance(Duration.ofSeconds(25));
        limiter.tryAcquire("new", 2);
        assertThat(limiter.keys()).isEqualTo(1);
        assertThat(limiter.evictedActiveCount()).isZero();
        assertThat(events).noneMatch(e -> e.type().equals("ratelimit.keys-evicted"));
    }

    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void atTheCapWithNoIdleKeyAnEighthIsDroppedAndSaid(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 2, 800);
        for (int i = 0; i < 800; i++) {
            limiter.tryAcquire("active-" + i, 2);
        }
        assertThat(limiter.tryAcquire("newcomer")).isTrue();
        assertThat(limiter.keys()).isEqualTo(701); // 800 - 100 forced out, + the newcomer
        assertThat(limiter.evictedActiveCount()).isEqualTo(100);
        assertThat(events).filteredOn(e -> e.type().equals("ratelimit.keys-evicted")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("key cap 800").contains("100 active keys dropped"));
        // a thousand more distinct keys never take the map past its cap
        for (int i = 0; i < 1000; i++) {
            limiter.tryAcquire("more-" + i);
            assertThat(limiter.keys()).isLessThanOrEqualTo(800);
        }
    }

    /**
     * Eight threads on one key while another thread keeps sweeping: exactly the limit is
     * admitted, so a decision never lands on a state that was evicted under it.
     */
    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void concurrentDecisionsAdmitExactlyTheLimitWhileSweeping(RateLimitAlgorithm algorithm) throws Exception {
        LocalRateLimiter limiter = limiter(algorithm, 5_000, 1_000);
        AtomicInteger admitted = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2_000; i++) {
                    if (limiter.tryAcquire("hot")) {
                        admitted.incrementAndGet();
                    }
                }
            }));
        }
        Thread sweeper = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                limiter.evictIdle();
            }
        });
        start.countDown();
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(20))).isTrue();
        }
        stop.set(true);
        assertThat(sweeper.join(Duration.ofSeconds(5))).isTrue();
        assertThat(admitted).hasValue(5_000); // time stands still: 16,000 asked, the limit admitted
        assertThat(limiter.rejectedCount()).isEqualTo(11_000);
    }
}
