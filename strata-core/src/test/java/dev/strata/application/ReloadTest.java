package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.AttemptTimeoutException;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CallNotPermittedException;
import dev.strata.resilience.CircuitBreaker;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Strata#reload}: what changes while calls run, what is refused, and the one event per reload. */
class ReloadTest {

    /** No server listens on port 1: the pool is never opened (the runtime is not started). */
    private static final String URL = "jdbc:postgresql://127.0.0.1:1/shop";

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    ReloadTest() {
        bus.subscribe(events::add);
    }

    /** The settings a test varies; everything else as in the running runtime. */
    private record Knobs(Duration timeout, int attempts, double failureRate, Duration openWait, int bulkhead,
                         double budget, int poolMax, boolean withSearch) {
        static Knobs initial() {
            return new Knobs(Duration.ofSeconds(10), 1, 0.75, Duration.ofSeconds(30), 4, 0.2, 10, false);
        }
    }

    private StrataBuilder builder(Knobs k) {
        StrataBuilder b = Strata.builder().events(bus).clock(clock).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                .dependency("catalog", d -> d.jdbc(URL, "shop", "secret").pool(p -> p.maxSize(k.poolMax())))
                .dependency("payments", d -> d.timeout(k.timeout())
                        .retry(r -> r.maxAttempts(k.attempts()))
                        .retryBudget(r -> r.retryPercent(k.budget()))
                        .breaker(br -> br.windowSize(10).minimumCalls(4).failureRateThreshold(k.failureRate())
                                .openWait(k.openWait()))
                        .bulkhead(bh -> bh.maxConcurrentCalls(k.bulkhead())));
        if (k.withSearch()) {
            b.dependency("search", d -> d.timeout(Duration.ofSeconds(1)));
        }
        return b;
    }

    private List<StrataEvent> events(String type) {
        return events.stream().filter(e -> e.type().equals(type)).toList();
    }

    private static Object fail() throws ConnectException {
        throw new ConnectException("refused");
    }

    @Test
    void aThresholdChangeKeepsTheBreakersStateAndWindow() {
        Knobs k = Knobs.initial();
        try (Strata strata = builder(k).build()) {
            Dependency payments = strata.dependency("payments");
            CircuitBreaker breaker = payments.circuitBreaker().orElseThrow();
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> payments.execute(ReloadTest::fail)).isNotNull();
                assertThat(payments.execute(() -> "ok")).isEqualTo("ok");
            }
            // 2 of 4 failed: 50% < 75%, closed
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);

            ReloadReport report = strata.reload(builder(new Knobs(k.timeout(), 1, 0.5, k.openWait(), 4, 0.2, 10, false)));

            assertThat(report.applied()).isTrue();
            assertThat(report.changes()).extracting(ReloadReport.Change::toString)
                    .containsExactly("payments.breaker.failure_rate 75% -> 50%");
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED); // a reload itself opens nothing
            assertThat(breaker.metrics().bufferedCalls()).isEqualTo(4);        // the window was kept
            assertThat(breaker.settings().failureRate()).isEqualTo(0.5);

            // the next failure is judged by the new threshold over the kept window: 3 of 5 = 60% >= 50%
            assertThatThrownBy(() -> payments.execute(ReloadTest::fail)).isNotNull();
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            long left = breaker.remainingOpenNanos();

            // while open, a new open wait applies to the next opening; this one keeps its wait
            ReloadReport shorter = strata.reload(builder(new Knobs(k.timeout(), 1, 0.5, Duration.ofSeconds(5), 4, 0.2, 10, false)));
            assertThat(shorter.changes()).extracting(ReloadReport.Change::key).containsExactly("breaker.open_wait");
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(breaker.remainingOpenNanos()).isEqualTo(left);
            assertThatThrownBy(() -> payments.execute(() -> "refused")).isInstanceOf(CallNotPermittedException.class);
            assertThat(events("breaker.state-changed")).hasSize(1); // only CLOSED -> OPEN, no transition from the reloads

            // the probe after the kept 30 s wait fails: the breaker opens again, now for the new 5 s
            clock.advance(Duration.ofSeconds(30));
            assertThatThrownBy(() -> payments.execute(ReloadTest::fail)).isNotNull();
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
        }
    }

    @Test
    void aCallInFlightKeepsTheTimeoutItStartedWith() throws Exception {
        Knobs k = Knobs.initial();
        try (Strata strata = builder(k).build()) {
            Dependency payments = strata.dependency("payments");
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> payments.execute(() -> {
                started.countDown();
                return release.await(20, TimeUnit.SECONDS) ? "finished" : "never released";
            }));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

            ReloadReport report = strata.reload(builder(new Knobs(Duration.ofMillis(50), 1, 0.75, k.openWait(), 4, 0.2, 10, false)));
            assertThat(report.changes()).extracting(ReloadReport.Change::toString).containsExactly("payments.timeout 10.0s -> 50ms");

            // a call starting now is cut at the new 50 ms; by then the call in flight has run longer than that
            long begin = System.nanoTime();
            assertThatThrownBy(() -> payments.execute(() -> release.await(20, TimeUnit.SECONDS)))
                    .isInstanceOf(AttemptTimeoutException.class);
            assertThat(System.nanoTime() - begin).isLessThan(Duration.ofSeconds(5).toNanos());
            assertThat(inFlight).isNotDone();

            release.countDown();
            assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("finished");
            assertThat(payments.pipeline().tuning().timeout().duration()).isEqualTo(Duration.ofMillis(50));
        }
    }

    @Test
    void aRefusedChangeLeavesEverythingAsItWas() {
        Knobs k = Knobs.initial();
        try (Strata strata = builder(k).build()) {
            Dependency payments = strata.dependency("payments");
            ReloadReport report = strata.reload(builder(new Knobs(Duration.ofSeconds(2), 3, 0.5, k.openWait(), 8, 0.2, 20, true)));

            assertThat(report.applied()).isFalse();
            assertThat(report.refusals()).extracting(ReloadReport.Refusal::message).containsExactly(
                    "dependency 'catalog': pool.max_size 10 -> 20 needs a restart (a pool's size and settings are fixed while it holds connections)",
                    "dependency 'search': (dependency) absent -> added needs a restart (a dependency's pool, pipeline and clients are made when the runtime is built)");
            // nothing applied
            assertThat(payments.pipeline().tuning().timeout().duration()).isEqualTo(Duration.ofSeconds(10));
            assertThat(payments.retry().orElseThrow().maxAttempts()).isEqualTo(1);
            assertThat(payments.circuitBreaker().orElseThrow().settings().failureRate()).isEqualTo(0.75);
            assertThat(payments.bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(4);
            assertThat(events("runtime.reload-refused")).singleElement()
                    .satisfies(e -> assertThat(e.message()).startsWith("reload refused, nothing applied: ")
                            .contains("pool.max_size 10 -> 20 needs a restart"));
            assertThat(events("runtime.reloaded")).isEmpty();

            // switching a policy off is refused too
            ReloadReport off = strata.reload(Strata.builder().events(bus).clock(clock).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                    .dependency("catalog", d -> d.jdbc(URL, "shop", "secret").pool(p -> p.maxSize(10)))
                    .dependency("payments", d -> d.timeout(Duration.ofSeconds(10)).retry(r -> r.maxAttempts(1))
                            .retryBudget(r -> r.retryPercent(0.2))
                            .breaker(br -> br.windowSize(10).minimumCalls(4).failureRateThreshold(0.75))));
            assertThat(off.refusals()).extracting(ReloadReport.Refusal::message).containsExactly(
                    "dependency 'payments': bulkhead on -> off needs a restart (switching a policy on or off changes the pipeline's shape)");
        }
    }

    @Test
    void anInvalidConfigurationAppliesNothingAndPublishesNothing() {
        Knobs k = Knobs.initial();
        try (Strata strata = builder(k).build()) {
            assertThatThrownBy(() -> strata.reload(builder(new Knobs(k.timeout(), 1, 0.75, k.openWait(), 0, 0.2, 10, false))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("maxConcurrentCalls");
            assertThat(strata.dependency("payments").bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(4);
            assertThat(events).noneMatch(e -> e.type().startsWith("runtime.reload"));
        }
    }

    @Test
    void anAppliedReloadPublishesOneEventListingEveryChange() {
        Knobs k = Knobs.initial();
        try (Strata strata = builder(k).build()) {
            Dependency payments = strata.dependency("payments");
            Knobs next = new Knobs(Duration.ofSeconds(2), 3, 0.75, k.openWait(), 8, 0.5, 10, false);
            ReloadReport report = strata.reload(builder(next));

            assertThat(report.changes()).extracting(ReloadReport.Change::toString).containsExactly(
                    "payments.timeout 10.0s -> 2.00s",
                    "payments.retry.attempts 1 -> 3",
                    "payments.retry.budget.percent 20% -> 50%",
                    "payments.bulkhead.max_concurrent 4 -> 8");
            assertThat(events("runtime.reloaded")).singleElement().satisfies(e -> {
                assertThat(e.level()).isEqualTo(System.Logger.Level.INFO);
                assertThat(e.message()).isEqualTo("reloaded 4 changes: payments.timeout 10.0s -> 2.00s, "
                        + "payments.retry.attempts 1 -> 3, payments.retry.budget.percent 20% -> 50%, "
                        + "payments.bulkhead.max_concurrent 4 -> 8");
            });
            assertThat(payments.pipeline().tuning().retry().maxAttempts()).isEqualTo(3);
            assertThat(payments.retry().orElseThrow().maxAttempts()).isEqualTo(3);
            assertThat(payments.retryBudget().orElseThrow().retryPercent()).isEqualTo(0.5);
            assertThat(payments.bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(8);

            // the same file again: nothing changes, one more event says so
            ReloadReport again = strata.reload(builder(next));
            assertThat(again.changes()).isEmpty();
            assertThat(again.summary()).isEqualTo("reloaded: nothing changed");
            assertThat(events("runtime.reloaded")).hasSize(2);
        }
    }

    @Test
    void aBulkheadResizedWhileItsSlotsAreHeld() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrentCalls(2).events(bus).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThat(bulkhead.tryAcquire()).isTrue();

        bulkhead.reconfigure(1, Duration.ZERO); // two held, one allowed: nothing is admitted until both ended
        assertThat(bulkhead.inUse()).isEqualTo(2);
        assertThat(bulkhead.tryAcquire()).isFalse();
        bulkhead.release();
        assertThat(bulkhead.tryAcquire()).isFalse();
        bulkhead.release();
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThatThrownBy(() -> {
            bulkhead.release();
            bulkhead.release();
        }).isInstanceOf(IllegalStateException.class);

        // growing admits a waiting call at once
        assertThat(bulkhead.tryAcquire()).isTrue();
        bulkhead.reconfigure(1, Duration.ofSeconds(30));
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return bulkhead.tryAcquire(Duration.ofSeconds(20).toNanos());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(waiter).isNotDone();
        bulkhead.reconfigure(2, Duration.ofSeconds(30));
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(bulkhead.inUse()).isEqualTo(2);
        assertThat(bulkhead.maxConcurrentCalls()).isEqualTo(2);
    }
}
