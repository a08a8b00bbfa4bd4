package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Deadline;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BulkheadTest {

    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    BulkheadTest() {
        bus.subscribe(events::add);
    }

    private Bulkhead.Builder bulkhead(String name, int limit) {
        return Bulkhead.builder(name).maxConcurrentCalls(limit).events(bus);
    }

    // --- seed 001, "what to test" for bulkheads -------------------------------------------------

    @Test
    void rejectsWhenPoolIsFull() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 2).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThat(bulkhead.tryAcquire()).isTrue();

        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> bulkhead.execute(ran::incrementAndGet))
                .isInstanceOf(BulkheadFullException.class)
                .satisfies(e -> {
                    BulkheadFullException full = (BulkheadFullException) e;
                    assertThat(full.kind()).isEqualTo(FaultKind.BULKHEAD_FULL);
                    assertThat(full.maxConcurrentCalls()).isEqualTo(2);
                    assertThat(full.getMessage()).isEqualTo("[payments] RESILIENCE/bulkhead-full: all 2 slots in use");
                });
        assertThat(ran).hasValue(0);
        assertThat(bulkhead.tryAcquire()).isFalse();
        assertThat(bulkhead.rejectedCount()).isEqualTo(2);
        assertThat(events).extracting(StrataEvent::type).containsExactly("bulkhead.full", "bulkhead.full");
    }

    @Test
    void doesNotBlockRequestsToOtherPools() throws Exception {
        Bulkhead payments = bulkhead("payments", 1).build();
        Bulkhead search = bulkhead("search", 1).build();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<String> stuck = CompletableFuture.supplyAsync(() -> {
            try {
                return payments.execute(() -> {
                    inside.countDown();
                    assertThat(finish.await(30, TimeUnit.SECONDS)).isTrue();
                    return "slow payment";
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();

        assertThat(search.execute(() -> "search result")).isEqualTo("search result");
        assertThatThrownBy(() -> payments.execute(() -> "second payment")).isInstanceOf(BulkheadFullException.class);

        finish.countDown();
        assertThat(stuck.get(30, TimeUnit.SECONDS)).isEqualTo("slow payment");
        assertThat(payments.available()).isEqualTo(1);
    }

    @Test
    void resourcesAreReleasedEvenOnFailure() {
        Bulkhead bulkhead = bulkhead("payments", 3).build();
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> bulkhead.execute(() -> {
                throw new IOException("connection reset");
            })).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> bulkhead.execute(() -> {
                throw new AssertionError("an Error too");
            })).isInstanceOf(AssertionError.class);
        }
        assertThat(bulkhead.inUse()).isZero();
        assertThat(bulkhead.available()).isEqualTo(3);
        assertThat(bulkhead.rejectedCount()).isZero();
    }

    // --- bounded waiting --------------------------------------------------------------------------

    @Test
    void boundedWaitTakesASlotFreedWhileWaiting() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 1).maxWait(Duration.ofSeconds(30)).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return bulkhead.tryAcquire(Duration.ofSeconds(30).toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        Thread.sleep(50); // let the waiter queue; correctness does not depend on it
        bulkhead.release();
        assertThat(waiter.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bulkhead.inUse()).isEqualTo(1);
        bulkhead.release();
    }

    @Test
    void waitEndsAtConfiguredMaxWait() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 1).maxWait(Duration.ofMillis(100)).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        long start = System.nanoTime();

        assertThatThrownBy(() -> bulkhead.execute(() -> "never"))
                .isInstanceOf(BulkheadFullException.class)
                .hasMessageContaining("after waiting");

        long waited = System.nanoTime() - start;
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(waited).as("bounded (generous tolerance)").isLessThan(Duration.ofSeconds(20).toNanos());
    }

    @Test
    void waitNeverOutlastsTheCurrentDeadline() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 1).maxWait(Duration.ofSeconds(60)).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        long start = System.nanoTime();

        boolean acquired = Deadline.after(Duration.ofMillis(100)).call(() -> bulkhead.tryAcquire(Long.MAX_VALUE));

        assertThat(acquired).isFalse();
        assertThat(System.nanoTime() - start).as("bounded by the 100 ms deadline, generous tolerance")
                .isLessThan(Duration.ofSeconds(20).toNanos());
    }

    @Test
    void withoutMaxWaitAWaitingAcquireRejectsAtOnce() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 1).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThat(bulkhead.tryAcquire(Duration.ofHours(1).toNanos())).isFalse();
        assertThat(bulkhead.rejectedCount()).isEqualTo(1);
    }

    @Test
    void interruptedWaiterHoldsNoSlot() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 1).maxWait(Duration.ofSeconds(60)).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                bulkhead.tryAcquire(Long.MAX_VALUE);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        Thread.sleep(50);
        waiter.interrupt();
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        bulkhead.release();
        assertThat(bulkhead.available()).isEqualTo(1);
    }

    // --- concurrency and misuse ------------------------------------------------------------------

    @Test
    void neverAdmitsMoreThanItsLimitUnder32ConcurrentCallers() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 4).maxWait(Duration.ofSeconds(10)).build();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        Concurrently.run(32, i -> {
            for (int n = 0; n < 50; n++) {
                bulkhead.execute(() -> {
                    int now = running.incrementAndGet();
                    maxSeen.accumulateAndGet(now, Math::max);
                    Thread.onSpinWait();
                    running.decrementAndGet();
                    return completed.incrementAndGet();
                });
            }
        });
        assertThat(maxSeen.get()).isBetween(1, 4);
        assertThat(completed).hasValue(32 * 50);
        assertThat(bulkhead.inUse()).isZero();
    }

    @Test
    void rejectingCallersNeverExceedTheLimitEither() throws Exception {
        Bulkhead bulkhead = bulkhead("payments", 3).build();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();
        Concurrently.run(32, i -> {
            for (int n = 0; n < 200; n++) {
                if (bulkhead.tryAcquire()) {
                    admitted.incrementAndGet();
                    maxSeen.accumulateAndGet(running.incrementAndGet(), Math::max);
                    running.decrementAndGet();
                    bulkhead.release();
                }
            }
        });
        assertThat(maxSeen.get()).isLessThanOrEqualTo(3);
        assertThat(admitted.get() + bulkhead.rejectedCount()).isEqualTo(32 * 200);
        assertThat(bulkhead.available()).isEqualTo(3);
    }

    @Test
    void releaseWithoutASlotIsRefused() {
        Bulkhead bulkhead = bulkhead("payments", 2).build();
        assertThatThrownBy(bulkhead::release).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("payments");
        assertThat(bulkhead.available()).isEqualTo(2);
    }

    @Test
    void invalidConfigurationNamesFieldValueAndRange() {
        assertThatThrownBy(() -> Bulkhead.builder("p").maxConcurrentCalls(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrentCalls: 0 is out of range; allowed 1..10000");
        assertThatThrownBy(() -> Bulkhead.builder("p").maxWait(Duration.ofSeconds(61)).build())
                .hasMessage("maxWait: 1m01s is out of range; allowed 0us..1m00s");
        assertThatThrownBy(() -> Bulkhead.builder("p").maxWait(Duration.ofMillis(-1)).build())
                .hasMessageStartingWith("maxWait: -1ms is out of range");
    }
}
