package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 5: a call that arrives with its inherited deadline already spent never reaches the
 * dependency, so the breaker must not count it: ten of them used to open a breaker on a healthy
 * dependency.
 */
class NeverRanCallsBreakerTest {

    private final TestClock clock = new TestClock();
    private final Events events = new Events();
    private final AtomicInteger attempts = new AtomicInteger();

    private CircuitBreaker breaker() {
        return CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(10)
                .openWait(Duration.ofSeconds(30)).clock(clock).events(events.bus).build();
    }

    private Deadline spent() {
        Deadline d = Deadline.after(Duration.ofMillis(5), clock);
        clock.manual.advance(Duration.ofMillis(10));
        assertThat(d.isExpired()).isTrue();
        return d;
    }

    @Test
    void tenCallsWithAnExpiredInheritedDeadlineDoNotOpenTheBreaker() {
        CircuitBreaker breaker = breaker();
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(Retry.ofDefaults())
                .timeout(Duration.ofSeconds(1)).clock(clock).events(events.bus).build();
        Deadline inherited = spent();
        try (Deadline.Scope ignored = inherited.enter()) {
            for (int i = 0; i < 10; i++) {
                assertThatThrownBy(() -> p.execute(() -> attempts.incrementAndGet()))
                        .isInstanceOf(DeadlineExceededException.class);
            }
        }
        assertThat(attempts).as("nothing reached the dependency").hasValue(0);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
    }

    @Test
    void asyncCallsWithAnExpiredInheritedDeadlineDoNotOpenTheBreaker() {
        CircuitBreaker breaker = breaker();
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).retry(Retry.ofDefaults())
                .clock(clock).events(events.bus).build();
        Deadline inherited = spent();
        try (Deadline.Scope ignored = inherited.enter()) {
            for (int i = 0; i < 10; i++) {
                CompletableFuture<Integer> call = p.executeAsync(() -> CompletableFuture.completedFuture(attempts.incrementAndGet()));
                assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(DeadlineExceededException.class);
            }
        }
        assertThat(attempts).hasValue(0);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.metrics().consecutiveFailures()).isZero();
    }

    @Test
    void aHalfOpenProbePermitIsNotSpentOnACallThatNeverRan() {
        CircuitBreaker breaker = breaker();
        breaker.forceOpen();
        breaker.reset();
        for (int i = 0; i < 10; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        clock.manual.advance(Duration.ofSeconds(31));
        Pipeline p = Pipeline.builder("payments").circuitBreaker(breaker).clock(clock).events(events.bus).build();
        Deadline inherited = spent();
        try (Deadline.Scope ignored = inherited.enter()) {
            assertThatThrownBy(() -> p.execute(() -> attempts.incrementAndGet())).isInstanceOf(DeadlineExceededException.class);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.isCallPermittedNow()).as("the probe is still available to a call that can run").isTrue();
    }
}
