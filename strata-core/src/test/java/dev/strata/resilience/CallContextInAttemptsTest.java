package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 10: every attempt, sync or async, first or retried, on whatever thread it runs,
 * sees the logical call's {@link CallContext}, so a pipeline nested inside an attempt knows a
 * non-idempotent charge is not safe to repeat.
 */
class CallContextInAttemptsTest {

    private final Events events = new Events();

    private static Retry retry(int attempts) {
        return Retry.builder().maxAttempts(attempts).backoff(Backoff.fixed(Duration.ofMillis(2))).build();
    }

    @Test
    void asyncFirstAndRetriedAttemptsSeeTheContext() throws Exception {
        CallContext charge = CallContext.nonIdempotent("payments", "order-42");
        List<CallContext> seen = new CopyOnWriteArrayList<>();
        Pipeline p = Pipeline.builder("payments").retry(retry(3)).events(events.bus).build();
        String result = p.executeAsync(charge, () -> {
            seen.add(CallContext.current());
            return seen.size() < 2 ? CompletableFuture.failedFuture(new SocketException("Connection reset"))
                    : CompletableFuture.completedFuture("ok");
        }).get(10, TimeUnit.SECONDS);
        assertThat(result).isEqualTo("ok");
        assertThat(seen).hasSize(2).containsOnly(charge);
        assertThat(CallContext.current()).as("nothing left behind on the caller").isNull();
    }

    @Test
    void asyncAttemptWithATimeoutSeesTheContext() throws Exception {
        CallContext charge = CallContext.nonIdempotent("payments", "order-43");
        List<CallContext> seen = new CopyOnWriteArrayList<>();
        Pipeline p = Pipeline.builder("payments").timeout(Duration.ofSeconds(5)).events(events.bus).build();
        p.executeAsync(charge, () -> {
            seen.add(CallContext.current());
            return CompletableFuture.completedFuture("ok");
        }).get(10, TimeUnit.SECONDS);
        assertThat(seen).containsExactly(charge);
    }

    @Test
    void asyncNestedPipelineDoesNotRetryANonIdempotentCharge() {
        CallContext charge = CallContext.nonIdempotent("payments", null);
        AtomicInteger charged = new AtomicInteger();
        Pipeline inner = Pipeline.builder("card-network").retry(retry(3)).events(events.bus).build();
        Pipeline outer = Pipeline.builder("payments").events(events.bus).build();
        // the nested call runs while the attempt's stage is created, where the context must be current
        CompletableFuture<String> nested = outer.executeAsync(charge, () -> {
            try {
                return CompletableFuture.completedFuture(inner.execute(() -> {
                    charged.incrementAndGet();
                    throw new SocketException("Connection reset");
                }));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        assertThatThrownBy(() -> nested.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(charged).as("a non-idempotent charge is attempted once").hasValue(1);
    }

    @Test
    void syncAttemptsWithAndWithoutTimeoutSeeTheContext() {
        CallContext charge = CallContext.nonIdempotent("payments", "order-44");
        List<CallContext> seen = new CopyOnWriteArrayList<>();
        Pipeline plain = Pipeline.builder("payments").events(events.bus).build();
        Pipeline timed = Pipeline.builder("payments").timeout(Duration.ofSeconds(5)).events(events.bus).build();
        plain.execute(charge, () -> seen.add(CallContext.current()));
        timed.execute(charge, () -> seen.add(CallContext.current()));
        assertThat(seen).containsExactly(charge, charge);
    }
}
