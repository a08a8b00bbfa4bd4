package dev.strata.shop.demo;

import dev.strata.shop.demo.LoadGenerator.Answer;
import dev.strata.shop.ShopCalls;
import dev.strata.shop.ShopDatabase;
import dev.strata.shop.ShopService;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.PoolStats;
import dev.strata.jdbc.StrataDataSource;
import java.net.http.HttpClient;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The same order service on Strata: one deadline per request, a pipeline per dependency (bulkhead,
 * circuit breaker, retry with jitter and a retry budget, per-attempt timeout, fallback) and a
 * validated PostgreSQL pool with keepalive. Business code and SQL are the naive variant's
 * ({@link ShopCalls}); what differs is only how the calls are protected, and that a checkout takes
 * a database connection only for the insert instead of holding one across the HTTP calls.
 *
 * <p>The service itself is {@link ShopService}, the one {@code strata shop} runs; this class builds
 * its pipelines and pool from the demo's time-compressed settings and turns its answers into the
 * load generator's.
 */
final class StrataOrderService implements OrderService {

    private final DemoSettings settings;
    private final HttpClient http;
    private final StrataDataSource database;
    private final ShopService service;
    private final List<CircuitBreaker> breakers = new java.util.ArrayList<>();
    private List<Pipeline> pipelines = List.of();

    /** Binds the pipelines, breakers and pool to {@code metrics}, for {@code strata demo --dashboard}. */
    void bind(dev.strata.micrometer.StrataMetrics metrics) {
        pipelines.forEach(metrics::bind);
        breakers.forEach(metrics::bind);
        metrics.bind(database.pool());
    }

    /** What the runtime diagnoser reads: the pool and the breakers (read-only). */
    dev.strata.diagnosis.DiagnosisSource diagnosisSource(EventBus events) {
        dev.strata.diagnosis.DiagnosisSource.Builder source = dev.strata.diagnosis.DiagnosisSource.builder(events)
                .dataSource(database.pool().name(), database);
        breakers.forEach(source::breaker);
        return source.build();
    }

    /** Longest wait for the pool's first connections at start-up. */
    private static final Duration STARTUP_BOUND = Duration.ofSeconds(30);

    StrataOrderService(DemoSettings settings, ShopDatabase db, Map<String, Integer> ports, EventBus events) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.compress(Duration.ofSeconds(1))).build();
        ShopCalls calls = new ShopCalls(name(), http, ports);
        this.database = StrataDataSource.builder("orders-db", db.jdbcUrl())
                .user(db.user())
                .password(db.password())
                .pool(p -> p.maxSize(settings.poolSize())
                        .minIdle(settings.poolSize())
                        .acquisitionTimeout(settings.compress(Duration.ofSeconds(2)))
                        .validateIdleLongerThan(settings.compress(Duration.ofSeconds(5)))
                        .validationTimeout(settings.compress(Duration.ofSeconds(2)))
                        .idleTimeout(settings.poolIdleTimeout())
                        .keepaliveInterval(settings.keepalive())
                        .housekeepingInterval(settings.compress(Duration.ofSeconds(5)))
                        .events(events))
                .build();
        Duration budget = settings.checkoutBudget();
        try {
            // Ready only once the pool holds its connections: on a busy machine opening four can take
            // longer than one acquisition timeout, and the first requests should not pay for it.
            if (!database.pool().awaitWarm(STARTUP_BOUND)) {
                throw new IllegalStateException("the orders-db pool did not open " + settings.poolSize()
                        + " connections within " + STARTUP_BOUND.toSeconds() + " s: " + database.stats());
            }
            // Reads: a retry covers a connection that failed anyway; the pool should have replaced it first.
            Pipeline catalogDb = Pipeline.builder("catalog-db")
                    .deadline(budget)
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(settings.compress(Duration.ofMillis(100))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget("catalog-db", events))
                    .events(events)
                    .build();
            Pipeline ordersDb = Pipeline.builder("orders-db")
                    .deadline(budget)
                    .events(events)
                    .build();
            Pipeline payments = Pipeline.builder(ShopCalls.PAYMENTS)
                    .deadline(settings.compress(Duration.ofMillis(3500))) // leaves room for the order insert
                    .timeout(settings.paymentAttemptTimeout())
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.exponential(
                            settings.compress(Duration.ofMillis(500)), 2.0, settings.compress(Duration.ofSeconds(2))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.PAYMENTS, events))
                    .circuitBreaker(breaker(ShopCalls.PAYMENTS, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.PAYMENTS).maxConcurrentCalls(6).events(events).build())
                    .events(events)
                    .build();
            Pipeline inventory = Pipeline.builder(ShopCalls.INVENTORY)
                    .deadline(settings.compress(Duration.ofSeconds(2)))
                    .timeout(settings.compress(Duration.ofSeconds(1)))
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(settings.compress(Duration.ofMillis(100))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.INVENTORY, events))
                    .circuitBreaker(breaker(ShopCalls.INVENTORY, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.INVENTORY).maxConcurrentCalls(6).events(events).build())
                    .events(events)
                    .build();
            Pipeline recommendations = Pipeline.builder(ShopCalls.RECOMMENDATIONS)
                    .deadline(settings.compress(Duration.ofSeconds(3)))
                    .timeout(settings.compress(Duration.ofSeconds(1)))
                    .retry(Retry.builder().maxAttempts(3).backoff(Backoff.exponential(
                            settings.naiveBackoff(), 2.0, settings.compress(Duration.ofSeconds(4))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.RECOMMENDATIONS, events))
                    .circuitBreaker(breaker(ShopCalls.RECOMMENDATIONS, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.RECOMMENDATIONS).maxConcurrentCalls(6).events(events).build())
                    .events(events)
                    .build();
            // The fallbacks are the service's, given per call: the same in the demo and the shop.
            this.service = new ShopService(
                    new ShopService.Dependencies(database, catalogDb, ordersDb, payments, inventory, recommendations, calls),
                    new ShopService.Timing(budget, settings.orderWriteReserve(), settings.paymentAttemptTimeout(),
                            settings.compress(Duration.ofSeconds(1)), settings.compress(Duration.ofSeconds(1))));
            this.pipelines = List.of(catalogDb, ordersDb, payments, inventory, recommendations);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            database.close();
            http.close();
            throw new IllegalStateException("interrupted while the strata variant started", e);
        } catch (RuntimeException | SQLException e) {
            database.close();
            http.close();
            throw new IllegalStateException("could not build the strata variant: " + e.getMessage(), e);
        }
    }

    /** Retries may add 10 % to the load, plus one per second, counted over one second. */
    private static RetryBudget budget(String dependency, EventBus events) {
        return RetryBudget.builder().name(dependency).retryPercent(0.1).minRetriesPerSecond(1)
                .ttl(Duration.ofSeconds(1)).events(events).build();
    }

    /**
     * Opens when half of the last 10 logical calls (at least 5) failed; stays open 10 s (seed time),
     * doubling while probes keep failing, up to 20 s, so a dependency that stays down is probed
     * less and less often.
     */
    private CircuitBreaker breaker(String dependency, EventBus events) {
        CircuitBreaker breaker = CircuitBreaker.builder(dependency)
                .mode(CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(10)
                .minimumCalls(5)
                .failureRateThreshold(0.5)
                .halfOpenPermits(2)
                .openWait(settings.breakerOpen())
                .openWaitMultiplier(2.0)
                .maxOpenWait(settings.breakerOpen().multipliedBy(2))
                .events(events)
                .build();
        breakers.add(breaker);
        return breaker;
    }

    /**
     * Closes the breakers: while the JIT is still compiling, a busy machine can stretch a 5 ms
     * call past its timeout often enough to open a breaker during the warm-up, and the measured
     * phases should start from the service's steady state.
     */
    @Override
    public void warmedUp() {
        breakers.forEach(CircuitBreaker::reset);
    }

    @Override
    public String name() {
        return "strata";
    }

    @Override
    public Answer catalog(long requestId) {
        service.catalog();
        return Answer.OK;
    }

    @Override
    public Answer checkout(long requestId) throws Exception {
        ShopService.Checkout checkout = service.checkout(requestId);
        return checkout.degraded() ? Answer.fallback(checkout.reason(), checkout.root()) : Answer.OK;
    }

    @Override
    public Answer recommendations(long requestId) {
        ShopService.Recommendations answer = service.recommendations(requestId);
        return answer.degraded() ? Answer.fallback(answer.reason(), answer.root()) : Answer.OK;
    }

    @Override
    public Map<String, Long> counters() {
        PoolStats stats = database.stats();
        return Map.of("db connections opened", stats.created(), "db connections evicted as broken", stats.evicted(),
                "stale connections detected (L1)", stats.staleDetected(), "pool wait timeouts", stats.timeouts());
    }

    @Override
    public FaultClassifier classifier() {
        return FaultClassifier.DEFAULT;
    }

    @Override
    public void close() {
        database.close();
        http.close();
    }
}
