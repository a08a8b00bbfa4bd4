package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Criticality;
import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The adaptive limit and the throttle inside a pipeline, on a manual clock. */
class PipelineOverloadTest {

    private final ManualClock clock = new ManualClock();
    private final AtomicInteger attempts = new AtomicInteger();

    private AdaptiveLimit limit(int initial) {
        return AdaptiveLimit.builder("payments").clock(clock).events(EventBus.detached()).initialLimit(initial)
                .minLimit(1).maxLimit(100).window(Duration.ofMillis(100)).minSamples(1).build();
    }

    @Test
    void sheddableCallsAreRefusedBeforeCriticalOnesAndNoSlotLeaks() throws Exception {
        AdaptiveLimit limit = limit(10);
        Pipeline p = Pipeline.builder("payments").adaptiveLimit(limit).clock(clock).events(EventBus.detached()).build();
        // critical calls held open (async attempts that have not completed) while a window closes
        List<CompletableFuture<String>> open = new ArrayList<>();
        try (var scope = Criticality.CRITICAL.enter()) {
            for (int i = 0; i < 4; i++) {
                CompletableFuture<String> answer = new CompletableFuture<>();
                open.add(answer);
                p.executeAsync(() -> answer);
            }
        }
        clock.advance(Duration.ofMillis(100));
        p.execute(() -> "closes the window"); // a default call: its end closes the window with 4 critical in flight
        assertThat(limit.inFlight(Criticality.CRITICAL)).isEqualTo(4);
        int sheddable = 0;
        try (var scope = Criticality.SHEDDABLE.enter()) {
            while (true) {
                CompletableFuture<String> answer = new CompletableFuture<>();
                CompletableFuture<String> call = p.executeAsync(() -> answer);
                if (call.isCompletedExceptionally()) {
                    assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class)
                            .cause().isInstanceOf(AdaptiveLimitExceededException.class)
                            .hasMessageContaining("sheddable call shed");
                    break;
                }
                open.add(answer);
                sheddable++;
            }
            assertThatThrownBy(() -> p.execute(() -> "x")).isInstanceOf(AdaptiveLimitExceededException.class)
                    .satisfies(e -> assertThat(((StrataException) e).kind()).isEqualTo(FaultKind.BULKHEAD_FULL));
        }
        // ceil((4 critical + 1 default) x 1.25) = 7 slots kept for more critical work, 4 of them in use
        assertThat(sheddable).isEqualTo(limit.limit() - 7 - 4);
        try (var scope = Criticality.CRITICAL.enter()) {
            assertThat(p.execute(() -> "critical still runs")).isEqualTo("critical still runs");
        }
        open.forEach(f -> f.complete("done"));
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void timeoutsAreDropsThatCutTheLimit() {
        AdaptiveLimit limit = limit(40);
        Pipeline p = Pipeline.builder("payments").adaptiveLimit(limit).clock(clock).events(EventBus.detached()).build();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMillis(100));
            assertThatThrownBy(() -> p.execute(() -> {
                attempts.incrementAndGet();
                throw new SocketTimeoutException("Read timed out");
            })).isInstanceOf(StrataException.class);
        }
        assertThat(limit.limit()).isEqualTo((int) Math.round(40 * Math.pow(0.9, 5)));
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void clientErrorsAreAnswersNotDrops() {
        AdaptiveLimit limit = limit(40);
        Pipeline p = Pipeline.builder("payments").adaptiveLimit(limit).clock(clock).events(EventBus.detached()).build();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMillis(100));
            assertThatThrownBy(() -> p.execute(() -> {
                throw new IllegalArgumentException("bad order");
            })).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(limit.limit()).isEqualTo(40); // no cut; no growth either (1 of 40 in use)
    }

    @Test
    void throttledCallsAreRefusedLocallyWithoutAnAttempt() {
        AdaptiveThrottle throttle = AdaptiveThrottle.builder("payments").clock(clock).events(EventBus.detached()).build();
        Pipeline p = Pipeline.builder("payments").throttle(throttle).clock(clock).events(EventBus.detached()).build();
        int throttled = 0;
        for (int i = 0; i < 1000; i++) {
            try {
                p.execute(() -> {
                    attempts.incrementAndGet();
                    throw new SocketTimeoutException("Read timed out");
                });
            } catch (ThrottledException refused) {
                assertThat(refused.kind()).isEqualTo(FaultKind.THROTTLED);
                throttled++;
            } catch (StrataException timeout) {
                assertThat(timeout.kind()).isEqualTo(FaultKind.READ_TIMEOUT);
            }
        }
        assertThat(throttled).isGreaterThan(900);
        assertThat(attempts.get()).isEqualTo(1000 - throttled);
    }

    @Test
    void anOpenBreakerNamesTheRefusalNotTheThrottle() throws Exception {
        AdaptiveThrottle throttle = AdaptiveThrottle.builder("payments").clock(clock).events(EventBus.detached()).build();
        CircuitBreaker breaker = CircuitBreaker.builder("payments").clock(clock).events(EventBus.detached()).build();
        Pipeline p = Pipeline.builder("payments").throttle(throttle).circuitBreaker(breaker).clock(clock)
                .events(EventBus.detached()).build();
        for (int i = 0; i < 200; i++) { // the dependency fails: the throttle learns to refuse nearly everything
            try {
                p.execute(() -> {
                    throw new SocketTimeoutException("Read timed out");
                });
            } catch (StrataException expected) {
                // timed out, throttled, or refused by the breaker once it opened
            }
        }
        breaker.forceOpen();
        assertThat(throttle.rejectProbability()).isGreaterThan(0.5);
        for (int i = 0; i < 50; i++) { // whatever the throttle's dice say, the caller reads why: the breaker is open
            assertThatThrownBy(() -> p.execute(() -> "never runs")).isInstanceOf(CallNotPermittedException.class);
            CompletableFuture<String> async = p.executeAsync(() -> CompletableFuture.completedFuture("never runs"));
            assertThatThrownBy(async::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(CallNotPermittedException.class);
        }
    }

    @Test
    void aBulkheadAndAnAdaptiveLimitAreAlternatives() {
        assertThatThrownBy(() -> Pipeline.builder("payments").adaptiveLimit(limit(10))
                .bulkhead(Bulkhead.builder("payments").build()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adaptiveLimit");
    }
}
