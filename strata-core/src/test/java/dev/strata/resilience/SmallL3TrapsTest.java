package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Issue 8 item 13, the L3 ones: each confirmed in code, each with its scenario. */
class SmallL3TrapsTest {

    private final Events events = new Events();

    private CircuitBreaker breaker(String name) {
        return CircuitBreaker.builder(name).mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(5)
                .events(events.bus).build();
    }

    // ---------------------------------------------------------------- Pipeline.interrupted()

    @Test
    void interruptedCallerIsClassifiedAsInterruptedNotAsAnApplicationBug() {
        Pipeline p = Pipeline.builder("payments").retry(Retry.ofDefaults()).events(events.bus).build();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> p.execute(() -> {
                throw new InterruptedException("stop");
            })).isInstanceOfSatisfying(StrataException.class, e -> {
                assertThat(e.kind()).isEqualTo(FaultKind.INTERRUPTED);
                assertThat(e.layer()).isNotEqualTo(Layer.APPLICATION);
                assertThat(FaultClassifier.DEFAULT.classify(e).kind()).isEqualTo(FaultKind.INTERRUPTED);
            });
        } finally {
            Thread.interrupted();
        }
        assertThat(FaultClassifier.DEFAULT.classify(new InterruptedException()).kind()).isEqualTo(FaultKind.INTERRUPTED);
        assertThat(FaultKind.INTERRUPTED.retryable()).isFalse();
        assertThat(CircuitBreaker.Builder.recordedByDefault(Fault.of(FaultKind.INTERRUPTED)))
                .as("a caller giving up says nothing about the dependency").isFalse();
    }

    // ---------------------------------------------------------------- A -> B -> A

    @Test
    void breakerReentryIsDetectedThroughAnotherBreakerSync() {
        CircuitBreaker a = breaker("a");
        CircuitBreaker b = breaker("b");
        Pipeline outerA = Pipeline.builder("a").circuitBreaker(a).events(events.bus).build();
        Pipeline viaB = Pipeline.builder("b").circuitBreaker(b).events(events.bus).build();
        Pipeline innerA = Pipeline.builder("a-again").circuitBreaker(a).events(events.bus).build();
        assertThatThrownBy(() -> outerA.execute(() -> viaB.execute(() -> innerA.execute(() -> "counted twice"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'a'");
        // and it is forgotten once the calls return
        assertThat(innerA.execute(() -> "fine")).isEqualTo("fine");
    }

    @Test
    void breakerReentryIsDetectedThroughAnotherBreakerWithTimeouts() {
        CircuitBreaker a = breaker("a");
        CircuitBreaker b = breaker("b");
        Pipeline outerA = Pipeline.builder("a").circuitBreaker(a).timeout(Duration.ofSeconds(5)).events(events.bus).build();
        Pipeline viaB = Pipeline.builder("b").circuitBreaker(b).timeout(Duration.ofSeconds(5)).events(events.bus).build();
        Pipeline innerA = Pipeline.builder("a-again").circuitBreaker(a).events(events.bus).build();
        assertThatThrownBy(() -> outerA.execute(() -> viaB.execute(() -> innerA.execute(() -> "counted twice"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'a'");
    }

    @Test
    void breakerReentryIsDetectedThroughAnotherBreakerAsync() {
        CircuitBreaker a = breaker("a");
        CircuitBreaker b = breaker("b");
        Pipeline outerA = Pipeline.builder("a").circuitBreaker(a).events(events.bus).build();
        Pipeline viaB = Pipeline.builder("b").circuitBreaker(b).events(events.bus).build();
        Pipeline innerA = Pipeline.builder("a-again").circuitBreaker(a).events(events.bus).build();
        CompletableFuture<String> call = outerA.executeAsync(() -> viaB.executeAsync(
                () -> innerA.executeAsync(() -> CompletableFuture.completedFuture("counted twice"))));
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("'a'");
    }

    // ---------------------------------------------------------------- Bulkhead.release()

    @Test
    void concurrentDoubleReleaseNeverCreatesASlot() throws Exception {
        int threads = 4;
        for (int round = 0; round < 500; round++) {
            Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(2).build();
            assertThat(bulkhead.tryAcquire()).isTrue();
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicInteger released = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                Thread.ofPlatform().start(() -> {
                    try {
                        start.await(5, TimeUnit.SECONDS);
                        bulkhead.release();
                        released.incrementAndGet();
                    } catch (IllegalStateException expected) {
                        refused.incrementAndGet();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(released).as("round %d", round).hasValue(1);
            assertThat(refused).hasValue(threads - 1);
            assertThat(bulkhead.available()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- StrataException serialisation

    @Test
    void strataExceptionKeepsItsFaultThroughSerialisation() throws Exception {
        RetriesExhaustedException original = new RetriesExhaustedException("payments", 3,
                new Fault(FaultKind.SERVER_ERROR, "HTTP 503", Duration.ofSeconds(2)), "all 3 attempts failed", null);
        RetriesExhaustedException copy = roundTrip(original);
        assertThat(copy.fault()).isEqualTo(original.fault());
        assertThat(copy.kind()).isEqualTo(FaultKind.RETRIES_EXHAUSTED);
        assertThat(copy.lastFault().retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(copy.getMessage()).isEqualTo(original.getMessage());
        assertThat(FaultClassifier.DEFAULT.classify(copy)).isEqualTo(original.fault());
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
