package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.fault.FaultKind;
import dev.strata.fault.HttpStatusException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Hedged attempts on real virtual threads; delays are short, bounds generous. */
class HedgeTest {

    private final Events events = new Events();
    private final AtomicInteger started = new AtomicInteger();

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }

    @Test
    void aHedgeStartsAfterTheDelayAndTheFirstSuccessWinsWhileTheSlowOneIsInterrupted() throws Exception {
        CountDownLatch slowInterrupted = new CountDownLatch(1);
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(50), 2)).events(events.bus).build();
        String result = p.execute(() -> {
            if (started.incrementAndGet() == 1) {
                try {
                    Thread.sleep(30_000); // the slow primary
                } catch (InterruptedException e) {
                    slowInterrupted.countDown();
                    throw e;
                }
                return "primary";
            }
            return "hedge";
        });
        assertThat(result).isEqualTo("hedge");
        assertThat(started).hasValue(2); // the winner answered before a second hedge was due
        assertThat(slowInterrupted.await(10, TimeUnit.SECONDS)).as("loser interrupted").isTrue();
        awaitTrue(() -> p.inFlightAttempts() == 0);
        assertThat(p.inFlightAttempts()).isZero();
    }

    @Test
    void hedgesWithdrawFromTheRetryBudget() {
        RetryBudget empty = RetryBudget.builder().retryPercent(0.0).minRetriesPerSecond(0).events(events.bus).build();
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(10), 3)).retryBudget(empty)
                .events(events.bus).build();
        String result = p.execute(() -> {
            started.incrementAndGet();
            Thread.sleep(200);
            return "primary";
        });
        assertThat(result).isEqualTo("primary");
        assertThat(started).as("no token, no hedge").hasValue(1);
        assertThat(events.types()).contains("retry-budget.exhausted");
    }

    @Test
    void whenEveryAttemptFailsTheNextHedgeStartsAtOnceAndTheLastFailureEscapes() {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofSeconds(30), 2)).events(events.bus).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> p.execute(() -> {
            started.incrementAndGet();
            throw new SocketException("Connection reset");
        })).isInstanceOf(dev.strata.fault.StrataException.class).hasCauseInstanceOf(SocketException.class);
        assertThat(started).hasValue(3);
        assertThat(System.nanoTime() - start).as("did not wait for the 30 s hedge delay").isLessThan(TimeUnit.SECONDS.toNanos(10));
    }

    @Test
    void eachHedgedAttemptIsBoundedByTheTimeout() {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(20), 1)).timeout(Duration.ofMillis(100))
                .events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            started.incrementAndGet();
            Thread.sleep(30_000);
            return "never";
        })).isInstanceOf(AttemptTimeoutException.class);
        assertThat(started).hasValue(2);
    }

    @Test
    void asyncHedgeWinsAndCancelsTheSlowAttempt() throws Exception {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(30), 2)).events(events.bus).build();
        java.util.concurrent.CompletableFuture<String> slow = new java.util.concurrent.CompletableFuture<>();
        String result = p.<String>executeAsync(() -> started.incrementAndGet() == 1
                ? slow : java.util.concurrent.CompletableFuture.completedFuture("hedge")).get(20, TimeUnit.SECONDS);
        assertThat(result).isEqualTo("hedge");
        assertThat(started).hasValue(2);
        awaitTrue(slow::isCancelled); // cancelled by the completing thread, possibly just after get() returned
        assertThat(slow).isCancelled();
    }

    @Test
    void asyncHedgesStopWhenTheBudgetIsSpentAndTheLastFailureEscapes() {
        RetryBudget empty = RetryBudget.builder().retryPercent(0.0).minRetriesPerSecond(0).events(events.bus).build();
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofMillis(10), 3)).retryBudget(empty)
                .events(events.bus).build();
        assertThatThrownBy(() -> p.<String>executeAsync(() -> {
            started.incrementAndGet();
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("down"));
        }).get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        assertThat(started).hasValue(1);
    }

    @Test
    void hedgeNeverRepeatsA4xx() {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofSeconds(30), 2)).events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            started.incrementAndGet();
            throw new HttpStatusException(404);
        })).isInstanceOf(HttpStatusException.class);
        assertThat(started).as("a 404 is the answer, not a reason to ask again").hasValue(1);
    }

    @Test
    void hedgeNeverRepeatsA4xxAsync() {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofSeconds(30), 2)).events(events.bus).build();
        assertThatThrownBy(() -> p.<String>executeAsync(() -> {
            started.incrementAndGet();
            return CompletableFuture.failedFuture(new HttpStatusException(404));
        }).get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(HttpStatusException.class);
        assertThat(started).hasValue(1);
    }

    @Test
    void aHedgeFollowsTheRetrysPredicateToo() {
        Pipeline p = Pipeline.builder("search").hedge(Hedge.of(Duration.ofSeconds(30), 2))
                .retry(Retry.builder().maxAttempts(1).retryOn(fault -> fault.kind() != FaultKind.CONNECTION_RESET).build())
                .events(events.bus).build();
        assertThatThrownBy(() -> p.execute(() -> {
            started.incrementAndGet();
            throw new SocketException("Connection reset");
        })).hasCauseInstanceOf(SocketException.class);
        assertThat(started).as("the retry says resets are not repeated; neither does the hedge").hasValue(1);
    }

    @Test
    void aNonIdempotentCallWithoutKeyIsNotHedged() {
        Pipeline p = Pipeline.builder("payments").hedge(Hedge.of(Duration.ofMillis(10), 3)).events(events.bus).build();
        String result = p.execute(CallContext.nonIdempotent("payments", null), () -> {
            started.incrementAndGet();
            Thread.sleep(200); // far past the hedge delay
            return "charged once";
        });
        assertThat(result).isEqualTo("charged once");
        assertThat(started).as("a hedge is a repeat").hasValue(1);
    }

    @Test
    void aNonIdempotentAsyncCallWithoutKeyIsNotHedged() throws Exception {
        Pipeline p = Pipeline.builder("payments").hedge(Hedge.of(Duration.ofMillis(10), 3)).events(events.bus).build();
        String result = p.<String>executeAsync(CallContext.nonIdempotent("payments", null), () -> {
            started.incrementAndGet();
            return CompletableFuture.supplyAsync(() -> "charged once",
                    CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
        }).get(20, TimeUnit.SECONDS);
        assertThat(result).isEqualTo("charged once");
        assertThat(started).hasValue(1);
    }

    @Test
    void aNonIdempotentCallWithAKeyIsHedged() {
        Pipeline p = Pipeline.builder("payments").hedge(Hedge.of(Duration.ofMillis(10), 1)).events(events.bus).build();
        String result = p.execute(CallContext.nonIdempotent("payments", "order-42"), () -> {
            if (started.incrementAndGet() == 1) {
                Thread.sleep(30_000);
            }
            return "charged once, keyed";
        });
        assertThat(result).isEqualTo("charged once, keyed");
        assertThat(started).hasValue(2);
    }
}
