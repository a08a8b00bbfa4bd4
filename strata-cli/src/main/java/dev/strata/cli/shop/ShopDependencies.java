package dev.strata.cli.shop;

import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resource.StrataDataSource;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shop's dependencies as Strata objects: the {@code orders-db} pool and one pipeline per
 * dependency, with the shop's circuit breakers and bulkheads, built on the public API. Owns them
 * and closes them.
 */
final class ShopDependencies implements AutoCloseable {

    static final String ORDERS_DB = "orders-db";

    private final StrataDataSource database;
    private final HttpClient http;
    private final Map<String, Pipeline> pipelines = new LinkedHashMap<>();
    private final Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
    private final Map<String, Bulkhead> bulkheads = new LinkedHashMap<>();

    /**
     * Builds the pool and the pipelines and waits, at most 30 s, for the pool's first connections.
     *
     * @param jdbcUrl where {@code orders-db} is reached (its chaos proxy)
     */
    ShopDependencies(String jdbcUrl, String user, String password, EventBus events) throws InterruptedException {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
        this.database = StrataDataSource.builder(ORDERS_DB, jdbcUrl)
                .user(user)
                .password(password)
                .pool(p -> p.maxSize(8)
                        .minIdle(4)
                        .acquisitionTimeout(Duration.ofSeconds(2))
                        .validateIdleLongerThan(Duration.ofSeconds(5))
                        .validationTimeout(Duration.ofSeconds(2))
                        .idleTimeout(Duration.ofSeconds(25))
                        .keepaliveInterval(Duration.ofSeconds(20))
                        .housekeepingInterval(Duration.ofSeconds(5))
                        .events(events))
                .build();
        try {
            if (!database.pool().awaitWarm(Duration.ofSeconds(30))) {
                throw new IllegalStateException("the orders-db pool did not open its minimum connections within 30 s: "
                        + database.stats());
            }
            pipelines.put(ORDERS_DB, Pipeline.builder(ORDERS_DB)
                    .deadline(Duration.ofSeconds(5))
                    .timeout(Duration.ofSeconds(2))
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(100))).jitter(Jitter.FULL).build())
                    .retryBudget(budget(ORDERS_DB, events))
                    .circuitBreaker(breaker(ORDERS_DB, events))
                    .events(events)
                    .build());
            pipelines.put(ShopCalls.PAYMENTS, Pipeline.builder(ShopCalls.PAYMENTS)
                    .deadline(Duration.ofMillis(3500))
                    .timeout(Duration.ofSeconds(2))
                    .retry(Retry.builder().maxAttempts(2)
                            .backoff(Backoff.exponential(Duration.ofMillis(500), 2.0, Duration.ofSeconds(2)))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.PAYMENTS, events))
                    .circuitBreaker(breaker(ShopCalls.PAYMENTS, events))
                    .bulkhead(bulkhead(ShopCalls.PAYMENTS, events))
                    .events(events)
                    .build());
            pipelines.put(ShopCalls.INVENTORY, Pipeline.builder(ShopCalls.INVENTORY)
                    .deadline(Duration.ofSeconds(2))
                    .timeout(Duration.ofSeconds(1))
                    .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(100))).jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.INVENTORY, events))
                    .circuitBreaker(breaker(ShopCalls.INVENTORY, events))
                    .bulkhead(bulkhead(ShopCalls.INVENTORY, events))
                    .events(events)
                    .build());
            pipelines.put(ShopCalls.RECOMMENDATIONS, Pipeline.builder(ShopCalls.RECOMMENDATIONS)
                    .deadline(Duration.ofSeconds(3))
                    .timeout(Duration.ofSeconds(1))
                    .retry(Retry.builder().maxAttempts(3)
                            .backoff(Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(4)))
                            .jitter(Jitter.FULL).build())
                    .retryBudget(budget(ShopCalls.RECOMMENDATIONS, events))
                    .circuitBreaker(breaker(ShopCalls.RECOMMENDATIONS, events))
                    .bulkhead(bulkhead(ShopCalls.RECOMMENDATIONS, events))
                    .events(events)
                    .build());
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    private static RetryBudget budget(String dependency, EventBus events) {
        return RetryBudget.builder().name(dependency).retryPercent(0.1).minRetriesPerSecond(1)
                .ttl(Duration.ofSeconds(1)).events(events).build();
    }

    private CircuitBreaker breaker(String dependency, EventBus events) {
        CircuitBreaker breaker = CircuitBreaker.builder(dependency)
                .mode(CircuitBreaker.Mode.COUNT_WINDOW)
                .windowSize(10)
                .minimumCalls(5)
                .failureRateThreshold(0.5)
                .halfOpenPermits(2)
                .openWait(Duration.ofSeconds(10))
                .openWaitMultiplier(2.0)
                .maxOpenWait(Duration.ofSeconds(20))
                .events(events)
                .build();
        breakers.put(dependency, breaker);
        return breaker;
    }

    private Bulkhead bulkhead(String dependency, EventBus events) {
        Bulkhead bulkhead = Bulkhead.builder(dependency).maxConcurrentCalls(20).events(events).build();
        bulkheads.put(dependency, bulkhead);
        return bulkhead;
    }

    StrataDataSource database() {
        return database;
    }

    HttpClient http() {
        return http;
    }

    Pipeline pipeline(String dependency) {
        Pipeline pipeline = pipelines.get(dependency);
        if (pipeline == null) {
            throw new IllegalArgumentException("dependency: '" + dependency + "' is unknown; allowed " + pipelines.keySet());
        }
        return pipeline;
    }

    Map<String, Pipeline> pipelines() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(pipelines));
    }

    Map<String, CircuitBreaker> breakers() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(breakers));
    }

    Map<String, Bulkhead> bulkheads() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(bulkheads));
    }

    /** Closes the pool (its connections) and the HTTP client. */
    @Override
    public void close() {
        database.close();
        http.close();
    }
}
