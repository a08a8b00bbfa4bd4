package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitedException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A rate limiter inside a pipeline: client-side throttling of a dependency. */
class PipelineRateLimitTest {

    private final ManualClock clock = new ManualClock();
    private final Events events = new Events();
    private final AtomicInteger attempts = new AtomicInteger();

    private LocalRateLimiter limiter(int perSecond) {
        return LocalRateLimiter.builder("payments-out").algorithm(RateLimitAlgorithm.GCRA)
                .limit(perSecond, Duration.ofSeconds(1)).clock(clock).events(events.bus).build();
    }

    private String call() {
        attempts.incrementAndGet();
        return "ok";
    }

    @Test
    void aCallWithoutAPermitFailsAsRateLimitedWithoutBeingAttemptedOrCountedByTheBreaker() {
        CircuitBreaker breaker = CircuitBreaker.builder("payments").clock(clock).events(events.bus).build();
        Pipeline pipeline = Pipeline.builder("payments").rateLimiter(limiter(2), Duration.ZERO)
                .circuitBreaker(breaker).retry(Retry.builder().maxAttempts(3).build())
                .clock(clock).events(events.bus).build();

        assertThat(pipeline.execute(this::call)).isEqualTo("ok");
        assertThat(pipeline.execute(this::call)).isEqualTo("ok");
        assertThatThrownBy(() -> pipeline.execute(this::call))
                .isInstanceOfSatisfying(RateLimitedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FaultKind.RATE_LIMITED);
                    assertThat(e.fault().kind().qualifiedName()).isEqualTo("RESOURCE/rate-limited");
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(500));
                    assertThat(e.dependency()).isEqualTo("payments");
                    assertThat(FaultClassifier.DEFAULT.classify(e).kind()).isEqualTo(FaultKind.RATE_LIMITED);
                });
        assertThat(attempts).hasValue(2);
        assertThat(breaker.metrics().bufferedCalls()).isEqualTo(2); // the refusal is not the dependency's failure
        assertThat(breaker.metrics().failedCalls()).isZero();
        assertThat(events.types()).contains("ratelimit.rejected");
    }

    @Test
    void aCallWaitsForAPermitWithinItsMaxWait() {
        Pipeline pipeline = Pipeline.builder("payments").rateLimiter(limiter(2), Duration.ofSeconds(1))
                .clock(clock).events(events.bus).build();
        for (int i = 0; i < 4; i++) {
            assertThat(pipeline.execute(this::call)).isEqualTo("ok");
        }
        assertThat(clock.slept()).isEqualTo(Duration.ofSeconds(1)); // calls 3 and 4 waited 500 ms each
    }

    @Test
    void theWaitNeverPassesTheCallsDeadline() {
        Pipeline pipeline = Pipeline.builder("payments").rateLimiter(limiter(1), Duration.ofSeconds(10))
                .deadline(Duration.ofMillis(300)).clock(clock).events(events.bus).build();
        assertThat(pipeline.execute(this::call)).isEqualTo("ok");
        assertThatThrownBy(() -> pipeline.execute(this::call)).isInstanceOf(RateLimitedException.class);
        assertThat(clock.slept()).isZero(); // the permit comes in 1 s, after the 300 ms deadline: refused at once
        assertThat(attempts).hasValue(1);
    }

    @Test
    void theAsyncPathRefusesWithoutWaiting() throws Exception {
        Pipeline pipeline = Pipeline.builder("payments").rateLimiter(limiter(1), Duration.ZERO)
                .clock(clock).events(events.bus).build();
        assertThat(pipeline.executeAsync(() -> CompletableFuture.completedFuture(call())).get()).isEqualTo("ok");
        CompletableFuture<String> refused = pipeline.executeAsync(() -> CompletableFuture.completedFuture(call()));
        assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RateLimitedException.class);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aFallbackSeesTheRateLimitedFault() {
        TypedPipeline<String> pipeline = Pipeline.builder("payments").rateLimiter(limiter(1), Duration.ZERO)
                .fallback(Fallback.on(FaultKind.RATE_LIMITED, failure -> "cached")).clock(clock).events(events.bus).build();
        assertThat(pipeline.execute(this::call)).isEqualTo("ok");
        assertThat(pipeline.execute(this::call)).isEqualTo("cached");
    }

    @Test
    void maxWaitIsValidated() {
        assertThatThrownBy(() -> Pipeline.builder("p").rateLimiter(limiter(1), Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("rateLimitWait: 2m")
                .hasMessageContaining("allowed 0us..1m00s");
    }
}
