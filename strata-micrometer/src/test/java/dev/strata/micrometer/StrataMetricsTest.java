package dev.strata.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.BulkheadFullException;
import dev.strata.resilience.CallNotPermittedException;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.TypedPipeline;
import dev.strata.resilience.RetriesExhaustedException;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.Lease;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.ResourceFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real policies and real sockets on 127.0.0.1 drive the meters of a {@link SimpleMeterRegistry}. */
class StrataMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private StrataMetrics metrics;
    private int closedPort;

    @BeforeEach
    void setUp() throws IOException {
        metrics = new StrataMetrics(registry);
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort(); // closed when the block ends: connecting is refused
        }
    }

    @AfterEach
    void tearDown() {
        metrics.close();
    }

    /** Connects to a port nobody listens on: the kernel refuses it, a real L1 fault. */
    private Void connectToClosedPort() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", closedPort), 1000);
        }
        return null;
    }

    private static Retry retry(int attempts) {
        return Retry.builder().maxAttempts(attempts).backoff(Backoff.fixed(Duration.ZERO)).build();
    }

    @Test
    void callsAreCountedByOutcomeAndRetryLikeResilience4j() {
        Pipeline pipeline = Pipeline.builder("payments").retry(retry(3)).events(EventBus.detached()).build();
        metrics.bind(pipeline);
        AtomicInteger calls = new AtomicInteger();

        assertThat(pipeline.execute(() -> "ok")).isEqualTo("ok");
        assertThat(pipeline.execute(() -> {
            if (calls.incrementAndGet() == 1) {
                connectToClosedPort();
            }
            return "second time";
        })).isEqualTo("second time");
        assertThatThrownBy(() -> pipeline.execute(this::connectToClosedPort)).isInstanceOf(RetriesExhaustedException.class);
        assertThatThrownBy(() -> pipeline.execute(() -> {
            throw new IllegalArgumentException("bad order id");
        })).isInstanceOf(IllegalArgumentException.class);

        assertThat(timerCount("successful_without_retry")).isEqualTo(1);
        assertThat(timerCount("successful_with_retry")).isEqualTo(1);
        assertThat(timerCount("failed_with_retry")).isEqualTo(1);
        assertThat(timerCount("failed_without_retry")).isEqualTo(1);
        // 1 refused connect in the second call + 3 in the third: counted per attempt, on L1
        assertThat(registry.get(StrataMetrics.FAULTS).tags("dependency", "payments", "layer", "L1", "kind", "connection_refused")
                .counter().count()).isEqualTo(4);
        assertThat(registry.get(StrataMetrics.FAULTS).tags("layer", "L4", "kind", "validation").counter().count()).isEqualTo(1);
        assertThat(registry.get(StrataMetrics.ATTEMPTS).counter().count()).isEqualTo(1 + 2 + 3 + 1);
        assertThat(registry.get(StrataMetrics.CALLS).tag("kind", "failed_with_retry").timer().totalTime(TimeUnit.NANOSECONDS))
                .isPositive();
    }

    @Test
    void asyncCallsAreMeteredLikeSyncOnes() throws Exception {
        Pipeline pipeline = Pipeline.builder("shipping").retry(retry(2)).events(EventBus.detached()).build();
        metrics.bind(pipeline);
        AtomicInteger attempts = new AtomicInteger();

        String value = pipeline.<String>executeAsync(() -> attempts.incrementAndGet() == 1
                ? java.util.concurrent.CompletableFuture.failedFuture(new ConnectException("refused"))
                : java.util.concurrent.CompletableFuture.completedFuture("shipped")).get(5, TimeUnit.SECONDS);

        assertThat(value).isEqualTo("shipped");
        assertThat(timerCount("successful_with_retry")).isEqualTo(1);
        assertThat(registry.get(StrataMetrics.FAULTS).tags("dependency", "shipping", "kind", "connection_refused")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void breakerStateTransitionsAndRejectionsAreMetered() {
        CircuitBreaker breaker = CircuitBreaker.builder("inventory").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(2).openWait(Duration.ofMinutes(1))
                .events(EventBus.detached()).build();
        Pipeline pipeline = Pipeline.builder("inventory").circuitBreaker(breaker).events(EventBus.detached()).build();
        metrics.bind(pipeline).bind(breaker);

        assertThat(stateGauge("inventory", "closed")).isEqualTo(1);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> pipeline.execute(this::connectToClosedPort)).isInstanceOf(StrataException.class)
                    .hasRootCauseInstanceOf(ConnectException.class);
        }
        assertThatThrownBy(() -> pipeline.execute(() -> "never runs")).isInstanceOf(CallNotPermittedException.class);

        assertThat(stateGauge("inventory", "open")).isEqualTo(1);
        assertThat(stateGauge("inventory", "closed")).isZero();
        assertThat(registry.get("strata.circuitbreaker.transitions").tags("from", "closed", "to", "open").counter().count())
                .isEqualTo(1);
        assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("dependency", "inventory", "kind", "circuit_open")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get("strata.circuitbreaker.not.permitted.calls").functionCounter().count()).isEqualTo(1);

        breaker.reset();
        assertThat(stateGauge("inventory", "closed")).isEqualTo(1);
        assertThat(registry.get("strata.circuitbreaker.transitions").tags("from", "open", "to", "closed").counter().count())
                .isEqualTo(1);
    }

    @Test
    void bulkheadSaturationAndFallbacksAreMetered() throws Exception {
        Bulkhead bulkhead = Bulkhead.builder("search").maxConcurrentCalls(1).events(EventBus.detached()).build();
        TypedPipeline<String> pipeline = Pipeline.builder("search").bulkhead(bulkhead)
                .fallback(Fallback.on(FaultKind.BULKHEAD_FULL, cause -> "cached"))
                .events(EventBus.detached()).build();
        metrics.bind(pipeline.pipeline()).bind(bulkhead);

        assertThat(bulkhead.tryAcquire()).isTrue(); // another caller holds the only slot
        try {
            assertThat(registry.get("strata.bulkhead.active").gauge().value()).isEqualTo(1);
            assertThat(registry.get("strata.bulkhead.available").gauge().value()).isZero();
            assertThat(pipeline.execute(() -> "fresh")).isEqualTo("cached");
        } finally {
            bulkhead.release();
        }
        Pipeline noFallback = Pipeline.builder("search").bulkhead(bulkhead).events(EventBus.detached()).build();
        assertThat(pipeline.<String>execute(() -> "fresh")).isEqualTo("fresh");

        assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("kind", "bulkhead_full").counter().count()).isEqualTo(1);
        assertThat(registry.get("strata.bulkhead.rejected").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get(StrataMetrics.FALLBACKS).tags("dependency", "search", "kind", "bulkhead_full", "outcome", "answered")
                .counter().count()).isEqualTo(1);
        assertThat(timerCount("successful_without_retry")).isEqualTo(1);
        assertThat(noFallback.name()).isEqualTo("search");
        assertThat(bulkhead.tryAcquire()).isTrue();
        try {
            assertThatThrownBy(() -> noFallback.execute(() -> "x")).isInstanceOf(BulkheadFullException.class);
        } finally {
            bulkhead.release();
        }
        // noFallback is not bound: only the bulkhead's own counter sees its rejection
        assertThat(registry.get("strata.bulkhead.rejected").functionCounter().count()).isEqualTo(2);
        assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("kind", "bulkhead_full").counter().count()).isEqualTo(1);
    }

    @Test
    void retryBudgetRefusalsAndAvailabilityAreMetered() {
        RetryBudget budget = RetryBudget.builder().retryPercent(0.0).minRetriesPerSecond(1).name("ledger")
                .events(EventBus.detached()).build();
        Pipeline pipeline = Pipeline.builder("ledger").retry(retry(5)).retryBudget(budget).events(EventBus.detached()).build();
        metrics.bind(pipeline).bind("ledger", budget);

        double before = registry.get("strata.retry.budget.available").gauge().value();
        assertThat(before).isGreaterThan(0);
        for (int i = 0; i < 30; i++) {
            try {
                pipeline.execute(this::connectToClosedPort);
            } catch (RuntimeException expected) {
                // every call fails; the budget decides how many retry
            }
        }
        assertThat(registry.get("strata.calls.budget.refused").counter().count()).isPositive();
        assertThat(registry.get("strata.retry.budget.available").gauge().value()).isLessThan(before);
    }

    @Test
    void poolGaugesAndCountersComeFromItsStats() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        ResourceFactory<Socket> factory = new ResourceFactory<>() {
            private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

            @Override
            public Socket create() throws IOException {
                opened.incrementAndGet();
                Socket s = new Socket();
                s.connect(server.getLocalSocketAddress(), 1000);
                return s;
            }

            @Override
            public boolean validate(Socket resource, Duration timeout) {
                return !resource.isClosed();
            }

            @Override
            public void close(Socket resource) {
                try {
                    resource.close();
                } catch (IOException ignored) {
                    // closing a socket we own: nothing to report
                }
            }
        };
        try (Pool<Socket> pool = Pool.open(PoolConfig.builder("orders-db").maxSize(2)
                .acquisitionTimeout(Duration.ofMillis(50)).events(EventBus.detached()).build(), factory)) {
            metrics.bind(pool);
            try (Lease<Socket> a = pool.acquire(); Lease<Socket> b = pool.acquire()) {
                assertThat(poolGauge("strata.pool.connections.active")).isEqualTo(2);
                assertThat(poolGauge("strata.pool.connections.max")).isEqualTo(2);
                assertThatThrownBy(pool::acquire).isInstanceOf(RuntimeException.class);
                assertThat(a.get()).isNotSameAs(b.get());
            }
            assertThat(poolGauge("strata.pool.connections.active")).isZero();
            assertThat(poolGauge("strata.pool.connections.idle")).isEqualTo(2);
            assertThat(registry.get("strata.pool.connections.timeout").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("strata.pool.connections.opened").functionCounter().count()).isEqualTo(opened.get());
            assertThat(registry.get("strata.pool.connections.stale").tag("layer", "L1").functionCounter().count()).isZero();
            assertThat(registry.get("strata.pool.connections.wait").tag("quantile", "max").timeGauge().value(TimeUnit.MILLISECONDS))
                    .isGreaterThanOrEqualTo(0);
            assertThat(registry.get("strata.pool.connections.evicted").tag("reason", "stale").functionCounter().count()).isZero();
            // Micrometer holds a gauge's state object weakly: the pool's meters must survive a collection.
            System.gc();
            assertThat(poolGauge("strata.pool.connections.max")).isEqualTo(2);
            assertThat(registry.get("strata.pool.connections.timeout").functionCounter().count()).isEqualTo(1);
        }
    }

    @Test
    void aRuntimeIsBoundInOneCall() {
        try (dev.strata.application.Strata strata = dev.strata.application.Strata.builder().events(EventBus.detached())
                .dependency("payments", d -> d.retry(r -> r.maxAttempts(2).backoff(Backoff.fixed(Duration.ZERO)))
                        .retryBudget(b -> b.retryPercent(0.2)).bulkhead(b -> b.maxConcurrentCalls(4)))
                .dependency("inventory", d -> d.noRetry().breaker(b -> b.failureThreshold(3)))
                .build().start()) {
            metrics.bind(strata);
            assertThat(strata.dependency("payments").execute(() -> "paid")).isEqualTo("paid");

            assertThat(registry.get(StrataMetrics.CALLS).tags("dependency", "payments", "kind", "successful_without_retry")
                    .timer().count()).isEqualTo(1);
            assertThat(registry.get("strata.circuitbreaker.state").tags("dependency", "inventory", "state", "closed")
                    .gauge().value()).isEqualTo(1);
            assertThat(registry.get("strata.bulkhead.max").tag("dependency", "payments").gauge().value()).isEqualTo(4);
            assertThat(registry.get("strata.retry.budget.available").tag("dependency", "payments").gauge().value()).isPositive();
            assertThat(registry.get("strata.runtime.state").tags("layer", "L4", "state", "running").gauge().value()).isEqualTo(1);
            assertThat(registry.get("strata.runtime.dependencies").gauge().value()).isEqualTo(2);
        }
    }

    @Test
    void closeUnbindsAndRemovesEveryMeter() {
        Pipeline pipeline = Pipeline.builder("payments").events(EventBus.detached()).build();
        metrics.bind(pipeline);
        assertThat(registry.getMeters()).isNotEmpty();
        metrics.close();
        assertThat(registry.getMeters()).isEmpty();
        pipeline.execute(() -> "after close");
        assertThat(registry.getMeters()).isEmpty();
        assertThatThrownBy(() -> metrics.bind(pipeline)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> metrics.bind(" ", RetryBudget.builder().build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dependency");
    }

    private long timerCount(String kind) {
        return registry.get(StrataMetrics.CALLS).tag("kind", kind).timer().count();
    }

    private double stateGauge(String dependency, String state) {
        return registry.get("strata.circuitbreaker.state").tags("dependency", dependency, "state", state).gauge().value();
    }

    private double poolGauge(String name) {
        return registry.get(name).tag("dependency", "orders-db").gauge().value();
    }

    @Test
    void everyEdgeFailOpenIsCountedInMetrics() {
        dev.strata.ratelimit.RateLimitPolicy policy = dev.strata.ratelimit.RateLimitPolicy.of("edge-broken",
                dev.strata.ratelimit.RateLimitAlgorithm.FIXED_WINDOW, 10, java.time.Duration.ofSeconds(1));
        dev.strata.ratelimit.RateLimiter broken = new dev.strata.ratelimit.RateLimiter() { // its store throws
            @Override
            public dev.strata.ratelimit.RateLimitPolicy policy() {
                return policy;
            }

            @Override
            public boolean tryAcquire(String key, int permits) {
                throw new IllegalStateException("store unavailable");
            }

            @Override
            public boolean tryAcquire(String key, int permits, dev.strata.ratelimit.RateLimitDecision into) {
                throw new IllegalStateException("store unavailable");
            }
        };
        dev.strata.http.HttpRateLimit limit = dev.strata.http.HttpRateLimit.builder(broken).events(EventBus.detached()).build();
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (StrataMetrics metrics = new StrataMetrics(registry).bind(limit)) {
            for (int i = 0; i < 3; i++) {
                assertThat(limit.check("198.51.100.1", (n, v) -> { })).isEqualTo(dev.strata.http.HttpRateLimit.Outcome.FAILED_OPEN);
            }
            assertThat(registry.get("strata.http.ratelimit.requests").tag("outcome", "failed_open").functionCounter().count())
                    .isEqualTo(3.0);
            assertThat(registry.get("strata.http.ratelimit.requests").tag("outcome", "allowed").functionCounter().count())
                    .isZero();
        }
    }
}
