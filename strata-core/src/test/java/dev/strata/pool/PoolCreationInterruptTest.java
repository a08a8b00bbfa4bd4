package dev.strata.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Found by {@code strata demo}: under a busy machine, pipelines whose deadline expired interrupted
 * borrowers that were waiting for a creation slot, and each such borrower kept the room it had
 * reserved. The pool shrank until it could neither lend nor create: every acquisition timed out.
 */
class PoolCreationInterruptTest {

    @Test
    void aBorrowerInterruptedWhileWaitingToCreateGivesItsRoomBack() throws Exception {
        CountingFactory factory = new CountingFactory(Duration.ofMillis(300));
        PoolConfig config = PoolConfig.builder("interrupted").maxSize(2).minIdle(0).creationConcurrency(1)
                .acquisitionTimeout(Duration.ofSeconds(5)).events(EventBus.detached()).build();
        try (Pool<CountingFactory.Resource> pool = Pool.open(config, factory)) {
            // A creates the first resource and holds the only creation slot while it does.
            Thread first = Thread.ofVirtual().start(() -> pool.acquire().close());
            awaitTrue(() -> factory.creating.get() == 1);
            // B reserves the second room and waits for the creation slot; then B is interrupted.
            AtomicReference<Throwable> secondFailure = new AtomicReference<>();
            Thread second = Thread.ofVirtual().start(() -> {
                try {
                    pool.acquire().close();
                } catch (RuntimeException e) {
                    secondFailure.set(e);
                }
            });
            awaitTrue(() -> second.getState() == Thread.State.TIMED_WAITING || second.getState() == Thread.State.WAITING);
            second.interrupt();
            second.join(TimeUnit.SECONDS.toMillis(5));
            first.join(TimeUnit.SECONDS.toMillis(5));
            assertThat(secondFailure.get()).isInstanceOf(StrataException.class);
            // an interruption: the caller wants to stop, so not a retryable exhaustion (issue 8, item 13)
            assertThat(((StrataException) secondFailure.get()).fault().retryable()).isFalse();
            assertThat(secondFailure.get()).hasMessageContaining("interrupted");

            // The room B reserved is free again: two resources can be held at once.
            try (Lease<CountingFactory.Resource> a = pool.acquire(); Lease<CountingFactory.Resource> b = pool.acquire()) {
                assertThat(a.get()).isNotSameAs(b.get());
            }
            assertThat(pool.stats().total()).isEqualTo(2);
            assertThat(factory.created.get()).isEqualTo(2);
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
