package dev.strata.cli.demo;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.cli.demo.LoadGenerator.Answer;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resource.PoolStats;
import dev.strata.resource.StrataDataSource;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
 * <p>Fallbacks: payments - the order is accepted as {@code pending} and written to the orders table
 * (the queue a payment job would drain); inventory - "likely available"; recommendations - the
 * popular items, read once at start-up so the fallback makes no remote call.
 */
final class StrataOrderService implements OrderService {

    private final DemoSettings settings;
    private final HttpClient http;
    private final ShopCalls calls;
    private final StrataDataSource database;
    private final Pipeline catalogDb;
    private final Pipeline ordersDb;
    private final Pipeline payments;
    private final Pipeline inventory;
    private final Pipeline recommendations;
    private final List<CircuitBreaker> breakers = new java.util.ArrayList<>();

    /** Whether payments charged the order now, or the order was accepted as pending, and why. */
    private record Payment(boolean charged, Fault reason, Fault root) {
    }

    /** Whether inventory confirmed the stock, or the fallback assumed "likely available", and why. */
    private record Stock(boolean confirmed, Fault reason, Fault root) {
    }

    /** Personalised recommendations, or the popular items when the fallback answered, and why. */
    private record Recommendations(List<Long> items, Fault reason, Fault root) {
    }

    /** Longest wait for the pool's first connections at start-up. */
    private static final Duration STARTUP_BOUND = Duration.ofSeconds(30);

    StrataOrderService(DemoSettings settings, DemoDatabase db, Map<String, Integer> ports, EventBus events) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.compress(Duration.ofSeconds(1))).build();
        this.calls = new ShopCalls(name(), http, ports);
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
            List<Long> popular = loadPopularItems();
            // Reads: a retry covers a connection that failed anyway; the pool should have replaced it first.
            this.catalogDb = Pipeline.builder("catalog-db")
                    .deadline(budget)
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(settings.compress(Duration.ofMillis(100))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget("catalog-db", events))
                    .events(events)
                    .build();
            this.ordersDb = Pipeline.builder("orders-db")
                    .deadline(budget)
                    .events(events)
                    .build();
            this.payments = Pipeline.builder(ShopCalls.PAYMENTS)
                    .deadline(settings.compress(Duration.ofMillis(3500))) // leaves room for the order insert
                    .timeout(settings.paymentAttemptTimeout())
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.exponential(
                            settings.compress(Duration.ofMillis(500)), 2.0, settings.compress(Duration.ofSeconds(2))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.PAYMENTS, events))
                    .circuitBreaker(breaker(ShopCalls.PAYMENTS, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.PAYMENTS).maxConcurrentCalls(6).events(events).build())
                    .fallback(Fallback.always(cause -> new Payment(false, cause.fault(), root(cause))))
                    .events(events)
                    .build();
            this.inventory = Pipeline.builder(ShopCalls.INVENTORY)
                    .deadline(settings.compress(Duration.ofSeconds(2)))
                    .timeout(settings.compress(Duration.ofSeconds(1)))
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(settings.compress(Duration.ofMillis(100))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.INVENTORY, events))
                    .circuitBreaker(breaker(ShopCalls.INVENTORY, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.INVENTORY).maxConcurrentCalls(6).events(events).build())
                    .fallback(Fallback.always(cause -> new Stock(false, cause.fault(), root(cause))))
                    .events(events)
                    .build();
            this.recommendations = Pipeline.builder(ShopCalls.RECOMMENDATIONS)
                    .deadline(settings.compress(Duration.ofSeconds(3)))
                    .timeout(settings.compress(Duration.ofSeconds(1)))
                    .retry(Retry.builder().maxAttempts(3).backoff(Backoff.exponential(
                            settings.naiveBackoff(), 2.0, settings.compress(Duration.ofSeconds(4))))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.RECOMMENDATIONS, events))
                    .circuitBreaker(breaker(ShopCalls.RECOMMENDATIONS, events))
                    .bulkhead(Bulkhead.builder(ShopCalls.RECOMMENDATIONS).maxConcurrentCalls(6).events(events).build())
                    .fallback(Fallback.always(cause -> new Recommendations(popular, cause.fault(), root(cause))))
                    .events(events)
                    .build();
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

    private static Fault root(Fallback.Cause cause) {
        return RootFault.of(FaultClassifier.DEFAULT, cause.failure());
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

    private List<Long> loadPopularItems() throws SQLException {
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id FROM product ORDER BY popularity DESC, id LIMIT 5");
             ResultSet rs = ps.executeQuery()) {
            List<Long> ids = new java.util.ArrayList<>();
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
            return List.copyOf(ids);
        }
    }

    @Override
    public String name() {
        return "strata";
    }

    @Override
    public Answer catalog(long requestId) {
        catalogDb.execute(() -> {
            try (Connection connection = database.getConnection()) {
                return ShopCalls.queryCatalog(connection);
            }
        });
        return Answer.OK;
    }

    @Override
    public Answer checkout(long requestId) throws Exception {
        long product = ShopCalls.productFor(requestId);
        Deadline checkout = Deadline.after(settings.checkoutBudget());
        return checkout.call(() -> {
            Stock stock = inventory.execute(() -> {
                calls.checkInventory(product, httpBound(settings.compress(Duration.ofSeconds(1))));
                return new Stock(true, null, null);
            });
            // Payments may spend what is left minus the time kept back to write the order, so a
            // slow payment ends in a 'pending' order, never in a checkout that ran out of time.
            long forPayment = Math.max(0L, checkout.remainingNanos() - settings.orderWriteReserve().toNanos());
            // The charge is not idempotent: the key lets payments recognise a repeat, so a retry is safe.
            Payment payment = Deadline.after(Duration.ofNanos(forPayment)).call(() -> payments.execute(
                    CallContext.nonIdempotent(ShopCalls.PAYMENTS, "order-" + requestId), () -> {
                        calls.charge(requestId, "order-" + requestId, httpBound(settings.paymentAttemptTimeout()));
                        return new Payment(true, null, null);
                    }));
            String status = payment.charged() ? "confirmed" : "pending";
            ordersDb.execute(() -> {
                try (Connection connection = database.getConnection()) {
                    calls.insertOrder(connection, product, status);
                    return null;
                }
            });
            if (!payment.charged()) {
                return Answer.fallback(payment.reason(), payment.root());
            }
            return stock.confirmed() ? Answer.OK : Answer.fallback(stock.reason(), stock.root());
        });
    }

    @Override
    public Answer recommendations(long requestId) {
        Recommendations answer = recommendations.execute(() -> {
            calls.recommendations(requestId, httpBound(settings.compress(Duration.ofSeconds(1))));
            return new Recommendations(List.of(requestId % DemoDatabase.PRODUCTS + 1), null, null);
        });
        return answer.reason() == null ? Answer.OK : Answer.fallback(answer.reason(), answer.root());
    }

    /**
     * The HTTP client's own bound for one attempt: a backstop at twice the pipeline's attempt
     * timeout (or the deadline's time left, if less), so the pipeline's timeout is the one that
     * fires and reports the attempt, and the request still cannot outlive its call.
     */
    private static Duration httpBound(Duration attemptTimeout) {
        return Duration.ofNanos(Math.max(1_000_000L, Deadline.remainingNanosOr(2 * attemptTimeout.toNanos())));
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
