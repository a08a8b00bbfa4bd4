package dev.strata.pool;

import dev.strata.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Deadline;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PoolTest {

    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final EventBus bus = busCollecting(events);

    private static EventBus busCollecting(List<StrataEvent> sink) {
        EventBus bus = EventBus.detached();
        bus.subscribe(sink::add);
        return bus;
    }

    private PoolConfig.Builder config(String name) {
        return PoolConfig.builder(name).events(bus).housekeepingInterval(Duration.ofMillis(20));
    }

    @Test
    void exhaustedPoolFailsAtTheAcquisitionTimeoutWithAResourceFaultDescribingThePool() {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("orders-db").maxSize(2)
                .acquisitionTimeout(Duration.ofMillis(200)).build(), new CountingFactory())) {
            Lease<CountingFactory.Resource> first = pool.acquire();
            Lease<CountingFactory.Resource> second = pool.acquire();
            long start = System.nanoTime();

            assertThatThrownBy(pool::acquire)
                    .isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FaultKind.POOL_EXHAUSTED);
                        assertThat(e.dependency()).isEqualTo("orders-db");
                    })
                    .hasMessageContaining("[orders-db] RESOURCE/pool-exhausted")
                    .hasMessageContaining("acquisition timeout 200ms")
                    .hasMessageContaining("size 2/2, active 2, idle 0, waiting 0");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
            assertThat(pool.stats().timeouts()).isEqualTo(1);

            first.close();
            second.close();
            assertThat(pool.stats().active()).isZero();
        }
    }

    @Test
    void aShorterCallDeadlineBoundsTheWait() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("slow").maxSize(1)
                .acquisitionTimeout(Duration.ofSeconds(30)).build(), new CountingFactory())) {
            try (Lease<CountingFactory.Resource> held = pool.acquire()) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(100)).call(pool::acquire))
                        .isInstanceOf(StrataException.class)
                        .hasMessageContaining("bounded by the call deadline");
                // the bound under test is 100 ms against 30 s; the slack absorbs a loaded machine
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
                assertThat(held.get().alive).isTrue();
            }
        }
    }

    @Test
    void waitersAreServedInArrivalOrder() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("fifo").maxSize(1)
                .acquisitionTimeout(Duration.ofSeconds(20)).build(), new CountingFactory())) {
            Lease<CountingFactory.Resource> held = pool.acquire();
            List<String> order = new CopyOnWriteArrayList<>();
            List<Thread> waiters = new ArrayList<>();
            for (String name : List.of("first", "second", "third")) {
                int queuedBefore = waiters.size();
                waiters.add(Thread.ofVirtual().start(() -> {
                    try (Lease<CountingFactory.Resource> lease = pool.acquire()) {
                        order.add(name);
                    }
                }));
                Await.until(Duration.ofSeconds(10), () -> pool.stats().waiting() == queuedBefore + 1);
            }
            held.close();
            for (Thread waiter : waiters) {
                assertThat(waiter.join(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(order).containsExactly("first", "second", "third");
        }
    }

    @Test
    void neverHoldsMoreThanMaxSizeUnderContention() throws Exception {
        CountingFactory factory = new CountingFactory();
        // waiters are handed returned resources in turn, so none starves behind the stream of
        // newcomers: not one of 3,200 acquisitions may time out, even with a modest timeout
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("contended").maxSize(4).minIdle(2)
                .acquisitionTimeout(Duration.ofSeconds(5)).build(), factory)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 200; i++) {
                        try (Lease<CountingFactory.Resource> lease = pool.acquire()) {
                            assertThat(lease.get().closed).isFalse();
                            Thread.yield();
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                assertThat(thread.join(Duration.ofSeconds(60))).isTrue();
            }
            PoolStats stats = pool.stats();
            assertThat(factory.peakLive.get()).isLessThanOrEqualTo(4);
            assertThat(stats.acquisitions()).isEqualTo(3200);
            assertThat(stats.timeouts()).isZero();
            assertThat(stats.active()).isZero();
            assertThat(stats.total()).isLessThanOrEqualTo(4).isEqualTo(factory.live.get());
            assertThat(stats.waitP99()).isLessThanOrEqualTo(stats.waitMax());
        }
    }

    @Test
    void lendsCountedOnTheirEntriesSurviveTheEntrysRetirementAndAFastLendWaitsNothing() throws Exception {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("counted").maxSize(1).minIdle(1).build(), factory)) {
            pool.awaitWarm(Duration.ofSeconds(5));
            for (int i = 0; i < 10; i++) {
                pool.acquire().close(); // the fast path: counted on the one entry, no shared counter
            }
            Lease<CountingFactory.Resource> held = pool.acquire();
            assertThat(pool.stats().active()).isEqualTo(1);
            assertThat(pool.stats().acquisitions()).isEqualTo(11);
            held.evict(dev.strata.fault.Fault.of(FaultKind.NETWORK_IO, "broken on purpose"));
            held.close(); // its entry retires: its 11 lends must not leave the count with it
            PoolStats afterRetirement = pool.stats();
            assertThat(afterRetirement.acquisitions()).isEqualTo(11);
            assertThat(afterRetirement.active()).isZero();
            assertThat(afterRetirement.closed(EvictionReason.BROKEN)).isEqualTo(1);

            pool.acquire().close(); // a new entry, counted from zero beside the closed one's 11
            PoolStats stats = pool.stats();
            assertThat(stats.acquisitions()).isEqualTo(12);
            assertThat(stats.active()).isZero();
            assertThat(stats.waitP50()).isLessThan(Duration.ofMillis(1)); // 11 of 12 lends waited nothing
        }
    }

    @Test
    void aResourceThatFailsWithAConnectionFaultIsEvictedNeverReturned() throws Exception {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("evict").maxSize(2).build(), factory)) {
            AtomicReference<CountingFactory.Resource> broken = new AtomicReference<>();
            assertThatThrownBy(() -> pool.call(resource -> {
                broken.set(resource);
                throw new SocketException("Connection reset");
            })).isInstanceOf(SocketException.class);

            assertThat(broken.get().closed).isTrue();
            assertThat(pool.stats().closed(EvictionReason.BROKEN)).isEqualTo(1);
            CountingFactory.Resource replacement = pool.call(resource -> resource);
            assertThat(replacement).isNotSameAs(broken.get());
            assertThat(pool.stats().active()).isZero();
        }
    }

    @Test
    void anApplicationErrorLeavesTheResourceInThePool() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("app-error").maxSize(2).build(), new CountingFactory())) {
            AtomicReference<CountingFactory.Resource> used = new AtomicReference<>();
            assertThatThrownBy(() -> pool.call(resource -> {
                used.set(resource);
                throw new IllegalStateException("bug in the caller");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(used.get().closed).isFalse();
            CountingFactory.Resource reused = pool.call(resource -> resource);
            assertThat(reused).isSameAs(used.get());
            assertThat(pool.stats().evicted()).isZero();
        }
    }

    @Test
    void aDeadIdleResourceIsReplacedOnBorrowAndReportedAsStale() throws Exception {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("orders-db").maxSize(2)
                .validateIdleLongerThan(Duration.ofMillis(50)).keepaliveInterval(Duration.ZERO).build(), factory)) {
            CountingFactory.Resource first = pool.call(resource -> resource);
            first.alive = false; // the server dropped it while it sat idle
            Thread.sleep(120);

            CountingFactory.Resource next = pool.call(resource -> resource);

            assertThat(next).isNotSameAs(first);
            assertThat(first.closed).isTrue();
            PoolStats stats = pool.stats();
            assertThat(stats.staleDetected()).isEqualTo(1);
            assertThat(stats.closed(EvictionReason.STALE)).isEqualTo(1);
            assertThat(events).filteredOn(e -> e.type().equals("pool.stale-replaced")).singleElement()
                    .satisfies(e -> assertThat(e.fault().kind()).isEqualTo(FaultKind.STALE_CONNECTION));
        }
    }

    @Test
    void aRecentlyUsedResourceIsNotValidatedAgain() throws Exception {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("hot").maxSize(2)
                .validateIdleLongerThan(Duration.ofSeconds(30)).build(), factory)) {
            for (int i = 0; i < 100; i++) {
                pool.call(resource -> resource);
            }
            assertThat(factory.validations.get()).isZero();
            assertThat(factory.created.get()).isEqualTo(1);
        }
    }

    @Test
    void withoutValidationAWireFailureAfterIdlingIsRethrownAsStale() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("unguarded").maxSize(2).noValidation()
                .validateIdleLongerThan(Duration.ofMillis(50)).noValidation().keepaliveInterval(Duration.ZERO).build(),
                new CountingFactory())) {
            pool.call(resource -> resource);
            Thread.sleep(120);

            assertThatThrownBy(() -> pool.call(resource -> {
                throw new SocketException("Connection reset");
            })).isInstanceOfSatisfying(StrataException.class, e -> {
                assertThat(e.kind()).isEqualTo(FaultKind.STALE_CONNECTION);
                assertThat(e.fault().detail()).startsWith("idle ");
            }).hasCauseInstanceOf(SocketException.class);
            assertThat(pool.stats().staleDetected()).isEqualTo(1);
        }
    }

    @Test
    void keepalivePingsIdleResourcesAndReplacesDeadOnesUpToMinIdle() {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("keepalive").maxSize(4).minIdle(2)
                .keepaliveInterval(Duration.ofMillis(50)).build(), factory)) {
            Await.until(Duration.ofSeconds(10), () -> factory.pings.get() >= 4);
            factory.all.forEach(resource -> resource.alive = false);

            Await.until(Duration.ofSeconds(10), () -> pool.stats().closed(EvictionReason.KEEPALIVE_FAILED) >= 2
                    && pool.stats().idle() == 2 && factory.all.stream().filter(r -> !r.closed).allMatch(r -> r.alive));
            assertThat(pool.stats().staleDetected()).isGreaterThanOrEqualTo(2);
            assertThat(factory.peakLive.get()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void idleAndAgedResourcesAreRetired() throws Exception {
        CountingFactory factory = new CountingFactory();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("retire").maxSize(3)
                .idleTimeout(Duration.ofMillis(100)).maxLifetime(Duration.ofMillis(400)).lifetimeJitter(0)
                .keepaliveInterval(Duration.ZERO).build(), factory)) {
            Lease<CountingFactory.Resource> a = pool.acquire();
            Lease<CountingFactory.Resource> b = pool.acquire();
            a.close();
            b.close();
            Await.until(Duration.ofSeconds(10), () -> pool.stats().closed(EvictionReason.IDLE_TIMEOUT) == 2);

            Lease<CountingFactory.Resource> aging = pool.acquire();
            Thread.sleep(450);
            aging.close();
            assertThat(pool.stats().closed(EvictionReason.MAX_LIFETIME)).isEqualTo(1);
            assertThat(pool.stats().total()).isZero();
        }
    }

    @Test
    void aResourceHeldPastTheLeakThresholdIsReportedWithTheBorrowersStack() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("leaky").maxSize(2)
                .leakDetectionThreshold(Duration.ofMillis(50)).build(), new CountingFactory())) {
            try (Lease<CountingFactory.Resource> held = pool.acquire()) {
                Await.until(Duration.ofSeconds(10), () -> pool.stats().leaksReported() == 1);
            }
            assertThat(events).filteredOn(e -> e.type().equals("pool.leak-suspected")).singleElement()
                    .satisfies(e -> assertThat(e.message())
                            .contains("longer than the leak threshold 50ms")
                            .contains("aResourceHeldPastTheLeakThresholdIsReportedWithTheBorrowersStack"));
        }
    }

    @Test
    void warmUpCreatesMinIdleWithBoundedConcurrency() throws Exception {
        CountingFactory factory = new CountingFactory(Duration.ofMillis(30));
        try (Pool<CountingFactory.Resource> pool = Pool.open(config("warm").maxSize(10).minIdle(8)
                .creationConcurrency(2).build(), factory)) {
            assertThat(pool.awaitWarm(Duration.ofSeconds(20))).isTrue();
            assertThat(pool.stats().idle()).isEqualTo(8);
            assertThat(factory.peakCreating.get()).isBetween(1, 2);
        }
    }

    @Test
    void closeDrainsFailsWaitersFastAndClosesLentResourcesOnReturn() throws Exception {
        CountingFactory factory = new CountingFactory();
        Pool<CountingFactory.Resource> pool = Pool.open(config("drain").maxSize(2).minIdle(1)
                .acquisitionTimeout(Duration.ofSeconds(30)).build(), factory);
        assertThat(pool.awaitWarm(Duration.ofSeconds(10))).isTrue();
        Lease<CountingFactory.Resource> lent = pool.acquire();
        Lease<CountingFactory.Resource> lent2 = pool.acquire();
        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                pool.acquire().close();
            } catch (Throwable failure) {
                waiterFailure.set(failure);
            }
        });
        Await.until(Duration.ofSeconds(10), () -> pool.stats().waiting() == 1);

        pool.close();

        // the waiter had 30 s left; it must fail at once, not at its timeout
        assertThat(waiter.join(Duration.ofSeconds(10))).isTrue();
        assertThat(waiterFailure.get()).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.kind()).isEqualTo(FaultKind.RESOURCE_CLOSED));
        assertThatThrownBy(pool::acquire).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.kind()).isEqualTo(FaultKind.RESOURCE_CLOSED));
        assertThat(lent.get().closed).isFalse();
        lent.close();
        lent2.close();
        lent2.close(); // idempotent
        assertThat(factory.live.get()).isZero();
        assertThat(pool.stats().total()).isZero();
        assertThat(pool.stats().active()).isZero();
        assertThat(pool.housekeeperAlive()).isFalse();
    }

    @Test
    void invalidSettingsAreRejectedNamingFieldValueAndRange() {
        assertThatThrownBy(() -> PoolConfig.builder("db").maxSize(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxSize: 0 is out of range; allowed 1..10000");
        assertThatThrownBy(() -> PoolConfig.builder("db").maxSize(4).minIdle(5).build())
                .hasMessage("minIdle: 5 is out of range; allowed 0..4");
        assertThatThrownBy(() -> PoolConfig.builder("db").acquisitionTimeout(Duration.ZERO).build())
                .hasMessageStartingWith("acquisitionTimeout: 0us is out of range; allowed 1ms..");
        assertThatThrownBy(() -> PoolConfig.builder(" ").build()).hasMessageStartingWith("name:");
    }
}
