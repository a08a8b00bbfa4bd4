package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.StrataException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** 32 real threads through one pipeline: the invariants hold and everything returns to zero. */
class PipelineConcurrencyTest {

    private final Events events = new Events();

    @Test
    void thirtyTwoCallersNeverExceedTheBulkheadAndLeaveNothingBehind() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(4).build();
        CircuitBreaker breaker = CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(1_000).events(events.bus).build();
        Pipeline p = Pipeline.builder("payments").bulkhead(bulkhead).circuitBreaker(breaker).deadline(Duration.ofSeconds(20))
                .timeout(Duration.ofMillis(200))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(2))).build())
                .events(events.bus).build();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Concurrently.run(32, index -> {
            for (int i = 0; i < 20; i++) {
                int call = i;
                try {
                    p.execute(() -> {
                        inside.incrementAndGet();
                        // Admitted logical calls; an attempt abandoned at its timeout may still be
                        // ending on its own thread after its call left, so count slots, not threads.
                        maxInside.accumulateAndGet(bulkhead.inUse(), Math::max);
                        try {
                            if ((index + call) % 5 == 0) {
                                throw new SocketException("Connection reset");
                            }
                            if ((index + call) % 7 == 0) {
                                Thread.sleep(10_000); // times out
                            }
                            return "ok";
                        } finally {
                            inside.decrementAndGet();
                        }
                    });
                    succeeded.incrementAndGet();
                } catch (BulkheadFullException full) {
                    rejected.incrementAndGet();
                } catch (StrataException other) {
                    failed.incrementAndGet();
                }
            }
        });
        assertThat(maxInside.get()).as("never more than the bulkhead's 4 at once").isLessThanOrEqualTo(4);
        assertThat(succeeded.get() + rejected.get() + failed.get()).isEqualTo(32 * 20);
        assertThat(succeeded.get()).isPositive();
        assertThat(rejected.get()).isPositive();
        assertThat(bulkhead.inUse()).isZero();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ((p.inFlightAttempts() != 0 || inside.get() != 0) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(p.inFlightAttempts()).isZero();
        assertThat(inside).hasValue(0);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
