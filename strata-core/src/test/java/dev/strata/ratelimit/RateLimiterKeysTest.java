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
        assertThat(limiter.overflowCount()).isZero();
        assertThat(events).noneMatch(e -> e.type().equals("ratelimit.keys-overflow"));
    }

    /**
     * Item 10: one client rotating keys (many /64s) fills the cap while every held key has an
     * active quota. Dropping held keys would reset their quotas (the victim here could send its
     * burst again); instead keys beyond the cap share one overflow quota, and no held key is
     * dropped until it comes to rest.
     */
    @ParameterizedTest
    @EnumSource(RateLimitAlgorithm.class)
    void aClientFillingTheKeyCapDoesNotResetOtherClientsQuotas(RateLimitAlgorithm algorithm) {
        LocalRateLimiter limiter = limiter(algorithm, 2, 8);
        assertThat(limiter.tryAcquire("victim", 2)).isTrue();
        assertThat(limiter.tryAcquire("victim")).as("the victim used its quota").isFalse();
        int admittedBeyondCap = 0;
        for (int i = 0; i < 100; i++) {
            boolean admitted = limiter.tryAcquire("rotating-" + i, 2);
            if (i >= 7 && admitted) {
                admittedBeyondCap++;
            }
            assertThat(limiter.keys()).isLessThanOrEqualTo(8);
        }
        assertThat(limiter.tryAcquire("victim")).as("the victim's quota was not reset by the flood").isFalse();
        assertThat(admittedBeyondCap).as("the 93 keys beyond the cap share one quota").isEqualTo(1);
        assertThat(limiter.overflowCount()).isEqualTo(93);
        assertThat(events).filteredOn(e -> e.type().equals("ratelimit.keys-overflow")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("key cap 8").contains("share one quota"));

        clock.advance(Duration.ofSeconds(25)); // every held key comes to rest: the next newcomer gets its own state
        assertThat(limiter.tryAcquire("newcomer", 2)).isTrue();
        assertThat(limiter.keys()).isEqualTo(1);
        assertThat(limiter.tryAcquire("victim", 2)).as("a rested key decides as new").isTrue();
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
