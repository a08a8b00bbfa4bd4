package dev.strata.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Deadline;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Rule 2 of ARCHITECTURE.md: a retry never sleeps holding a pooled resource. The pipeline runs
 * its Callable once per attempt; acquiring inside it ({@link Pool#call}) releases before backoff.
 */
class PoolPipelineTest {

    @Test
    void duringTheBackoffThePoolIsEmptyAndAHealthyCallerGetsAConnectionAtOnce() throws Exception {
        try (Pool<CountingFactory.Resource> pool = Pool.open(PoolConfig.builder("orders-db").maxSize(10).minIdle(10)
                .acquisitionTimeout(Duration.ofSeconds(5)).build(), new CountingFactory())) {
            assertThat(pool.awaitWarm(Duration.ofSeconds(10))).isTrue();
            Pipeline pipeline = Pipeline.builder("orders-db")
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofSeconds(1))).jitter(Jitter.NONE).build())
                    .build();
            CyclicBarrier allHolding = new CyclicBarrier(10);
            CountDownLatch statsRead = new CountDownLatch(1);
            CountDownLatch allFailedOnce = new CountDownLatch(10);
            AtomicInteger activeWhileAllHeld = new AtomicInteger();
            List<Object> results = new CopyOnWriteArrayList<>();
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                AtomicInteger attempts = new AtomicInteger();
                callers.add(Thread.ofVirtual().start(() -> results.add(pipeline.execute(() -> pool.call(connection -> {
                    if (attempts.incrementAndGet() == 1) {
                        if (allHolding.await(10, TimeUnit.SECONDS) == 0) {
                            activeWhileAllHeld.set(pool.stats().active());
                            statsRead.countDown();
                        }
                        // The barrier frees everyone at once: nobody releases before the count is read.
                        assertThat(statsRead.await(10, TimeUnit.SECONDS)).isTrue();
                        allFailedOnce.countDown();
                        throw new SQLException("could not serialize access", "40001"); // transient: retried
                    }
                    return connection.id;
                })))));
            }

            assertThat(allFailedOnce.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(50); // the attempts' leases are closed on their way out of pool.call
            PoolStats duringBackoff = pool.stats();
            long start = System.nanoTime();
            int healthy = Deadline.after(Duration.ofMillis(200)).call(() -> pool.call(connection -> connection.id));
            Duration healthyWaited = Duration.ofNanos(System.nanoTime() - start);

            for (Thread caller : callers) {
                assertThat(caller.join(Duration.ofSeconds(20))).isTrue();
            }
            assertThat(activeWhileAllHeld.get()).as("all 10 connections in use during the first attempts").isEqualTo(10);
            assertThat(duringBackoff.active()).as("active during the 1 s backoff").isZero();
            assertThat(duringBackoff.idle()).isEqualTo(10);
            assertThat(healthy).isPositive();
            // "at once": nowhere near the 1 s backoff, with room for a loaded machine
            assertThat(healthyWaited).isLessThan(Duration.ofMillis(500));
            assertThat(results).hasSize(10);
            assertThat(pool.stats().active()).isZero();
            assertThat(pool.stats().evicted()).as("a transient server error does not poison the connection").isZero();
        }
    }
}
