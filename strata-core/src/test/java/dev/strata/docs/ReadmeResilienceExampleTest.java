package dev.strata.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.CallContext;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resilience.TypedPipeline;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The README's "Calling a dependency" example, kept compiling and true. */
class ReadmeResilienceExampleTest {

    record Receipt(String orderId, String status) {
        static Receipt pending(String orderId) {
            return new Receipt(orderId, "pending");
        }
    }

    private final AtomicInteger charges = new AtomicInteger();

    private Receipt charge(String orderId, boolean paymentsDown) {
        charges.incrementAndGet();
        if (paymentsDown) {
            throw new HttpStatusException(503);
        }
        return new Receipt(orderId, "paid");
    }

    @Test
    void readmePipelineChargesAndFallsBackToPending() {
        String orderId = "o-42";
        // --- README example starts
        TypedPipeline<Receipt> payments = Pipeline.builder("payments")
                .deadline(Duration.ofSeconds(5))                       // one budget for the logical call
                .timeout(Duration.ofSeconds(2))                        // per attempt
                .retry(Retry.builder()
                        .maxAttempts(3)
                        .backoff(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)))
                        .build())                                      // full jitter by default
                .retryBudget(RetryBudget.builder().retryPercent(0.1).minRetriesPerSecond(1).build())
                .circuitBreaker(CircuitBreaker.builder("payments")
                        .failureRateThreshold(0.5).minimumCalls(10).openWait(Duration.ofSeconds(30)).build())
                .bulkhead(Bulkhead.builder("payments").maxConcurrentCalls(20).build())
                .fallback(Fallback.on(EnumSet.of(FaultKind.CIRCUIT_OPEN, FaultKind.RETRIES_EXHAUSTED,
                        FaultKind.RETRY_BUDGET_EXHAUSTED, FaultKind.DEADLINE_EXCEEDED, FaultKind.BULKHEAD_FULL),
                        cause -> Receipt.pending(orderId)))            // typed: a Receipt pipeline only
                .build();

        // Charging is not idempotent: the key lets the payment service deduplicate a retry.
        Receipt receipt = payments.execute(CallContext.nonIdempotent("payments", orderId),
                () -> charge(orderId, false));
        // --- README example ends
        assertThat(receipt.status()).isEqualTo("paid");

        Receipt degraded = payments.execute(CallContext.nonIdempotent("payments", orderId),
                () -> charge(orderId, true));
        assertThat(degraded.status()).isEqualTo("pending");
        assertThat(charges).hasValue(1 + 3); // the failing call was attempted 3 times, then fell back
    }
}
