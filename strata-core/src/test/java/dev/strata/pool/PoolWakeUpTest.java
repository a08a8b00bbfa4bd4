package dev.strata.pool;

import dev.strata.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Deadline;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Issue 8, items 6a and 13: wake-ups the pool must not lose, and how an interrupted borrower fails. */
class PoolWakeUpTest {

    /**
     * A factory whose first creation blocks until the test opens a gate and then fails (a
     * refused connect at start-up); every later creation succeeds at once.
     */
    static final class FirstCreationFails implements ResourceFactory<Object> {
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        final AtomicInteger attempts = new AtomicInteger();

        @Override
        public Object create() throws Exception {
            if (attempts.incrementAndGet() == 1) {
                firstStarted.countDown();
                gate.await(10, TimeUnit.SECONDS);
                throw new java.net.ConnectException("Connection refused");
            }
            Deadline deadline = Deadline.current();
            if (deadline != null && deadline.isExpired()) {
                throw new java.net.SocketTimeoutException("no time left to connect");
            }
            return new Object();
        }

        @Override
        public boolean validate(Object resource, Duration timeout) {
            return true;
        }

        @Override
        public void close(Object resource) {
        }
    }

    @Test
    void fixedSizePoolWaiterWakesWhenAStartUpCreationFails() throws Exception {
        FirstCreationFails factory = new FirstCreationFails();
        Duration timeout = Duration.ofSeconds(5);
        PoolConfig config = PoolConfig.builder("fixed").maxSize(1).minIdle(1).acquisitionTimeout(timeout)
                // the housekeeper's next round would refill and hide a lost wake-up: put it far away
                .housekeepingInterval(Duration.ofMinutes(5))
                .events(EventBus.detached()).build();
        try (Pool<Object> pool = Pool.open(config, factory)) {
            assertThat(factory.firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
            // The housekeeper holds the only room (size 1/1) for its warm-up creation: a borrower waits.
            AtomicReference<Object> borrowed = new AtomicReference<>();
            AtomicReference<Duration> waited = new AtomicReference<>();
            Thread borrower = Thread.ofVirtual().start(() -> {
                long start = System.nanoTime();
                try (Lease<Object> lease = pool.acquire()) {
                    borrowed.set(lease.get());
                } finally {
                    waited.set(Duration.ofNanos(System.nanoTime() - start));
                }
            });
            Await.until(Duration.ofSeconds(5), () -> pool.stats().waiting() == 1);
            factory.gate.countDown(); // the warm-up creation fails and gives its room back

            assertThat(borrower.join(Duration.ofSeconds(10))).isTrue();
            assertThat(borrowed.get()).as("the waiter created the resource in the room the failure freed").isNotNull();
            // Without the signal the waiter slept its whole 5 s timeout and then had no budget left.
            assertThat(waited.get()).isLessThan(timeout.dividedBy(2));
            assertThat(factory.attempts.get()).isEqualTo(2);
        }
    }

    @Test
    void aBorrowerInterruptedWhileWaitingFailsAsInterruptedNotAsARetryableExhaustion() throws Exception {
        PoolConfig config = PoolConfig.builder("interrupt").maxSize(1).acquisitionTimeout(Duration.ofSeconds(5))
                .events(EventBus.detached()).build();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config, new CountingFactory());
                Lease<CountingFactory.Resource> held = pool.acquire()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            Thread borrower = Thread.ofVirtual().start(() -> {
                try {
                    pool.acquire().close();
                } catch (RuntimeException e) {
                    failure.set(e);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            });
            Await.until(Duration.ofSeconds(5), () -> pool.stats().waiting() == 1);
            borrower.interrupt();
            assertThat(borrower.join(Duration.ofSeconds(5))).isTrue();

            assertThat(failure.get()).isInstanceOf(StrataException.class).hasMessageContaining("interrupted");
            StrataException interrupted = (StrataException) failure.get();
            assertThat(interrupted.kind()).isEqualTo(FaultKind.INTERRUPTED);
            assertThat(interrupted.fault().retryable()).as("an interrupted caller wants to stop").isFalse();
            assertThat(stillInterrupted.get()).isTrue();
            assertThat(pool.stats().timeouts()).as("not counted as an exhaustion").isZero();
        }
    }

    @Test
    void aClosedPoolStillFailsWaitersFast() {
        PoolConfig config = PoolConfig.builder("closing").maxSize(1).events(EventBus.detached()).build();
        Pool<CountingFactory.Resource> pool = Pool.open(config, new CountingFactory());
        pool.close();
        assertThatThrownBy(pool::acquire).isInstanceOf(StrataException.class)
                .satisfies(e -> assertThat(((StrataException) e).kind()).isEqualTo(FaultKind.RESOURCE_CLOSED));
    }
}
