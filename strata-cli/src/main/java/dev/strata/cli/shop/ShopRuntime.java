package dev.strata.cli.shop;

import dev.strata.application.ConnectionBudget;
import dev.strata.application.Strata;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Jitter;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The shop's Strata runtime: one dependency per thing the order service calls, each reached
 * through its chaos proxy. The numbers are those of {@code examples/shop.yaml}.
 */
final class ShopRuntime {

    /** The database's dependency name. */
    static final String ORDERS_DB = "orders-db";

    private ShopRuntime() {
    }

    /**
     * The runtime's description, not yet built.
     *
     * @param through the port of each dependency's chaos proxy on 127.0.0.1, by dependency name
     */
    static Strata.Builder builder(ShopConfig config, Map<String, Integer> through, String user, String password) {
        return Strata.builder()
                .strict(true)
                .shutdown(config.drainPause(), config.shutdownBudget())
                .startTimeout(Duration.ofSeconds(30))
                // The embedded PostgreSQL allows 60 connections; one shop instance, 20 % kept free.
                .connectionBudget(new ConnectionBudget(1, 0.2, 60))
                .defaults(d -> d
                        .retry(r -> r.jitter(Jitter.FULL))
                        .retryBudget(b -> b.retryPercent(0.1).minRetriesPerSecond(1).ttl(Duration.ofSeconds(1)))
                        .breaker(b -> b.mode(CircuitBreaker.Mode.COUNT_WINDOW).windowSize(10).minimumCalls(5)
                                .failureRateThreshold(0.5).halfOpenPermits(2).openWait(Duration.ofSeconds(10))
                                .openWaitMultiplier(2.0).maxOpenWait(Duration.ofSeconds(20))))
                .dependency(ORDERS_DB, d -> d
                        .jdbc("jdbc:postgresql://127.0.0.1:" + through.get(ORDERS_DB) + "/postgres", user, password)
                        .pool(p -> p.maxSize(8).minIdle(4).acquisitionTimeout(Duration.ofSeconds(2))
                                .validateIdleLongerThan(Duration.ofSeconds(5)).validationTimeout(Duration.ofSeconds(2))
                                .idleTimeout(Duration.ofSeconds(25)).keepaliveInterval(Duration.ofSeconds(20))
                                .housekeepingInterval(Duration.ofSeconds(5)))
                        .deadline(Duration.ofSeconds(5))
                        .timeout(Duration.ofSeconds(2))
                        .retry(r -> r.maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(100)))))
                .dependency(ShopCalls.PAYMENTS, d -> d
                        .httpBaseUrl(url(through, ShopCalls.PAYMENTS))
                        .deadline(Duration.ofMillis(3500))
                        .timeout(Duration.ofSeconds(2))
                        .retry(r -> r.maxAttempts(2).backoff(Backoff.exponential(Duration.ofMillis(500), 2.0, Duration.ofSeconds(2))))
                        .bulkhead(b -> b.maxConcurrentCalls(20)))
                .dependency(ShopCalls.INVENTORY, d -> d
                        .httpBaseUrl(url(through, ShopCalls.INVENTORY))
                        .deadline(Duration.ofSeconds(2))
                        .timeout(Duration.ofSeconds(1))
                        .retry(r -> r.maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(100))))
                        .bulkhead(b -> b.maxConcurrentCalls(20)))
                .dependency(ShopCalls.RECOMMENDATIONS, d -> d
                        .httpBaseUrl(url(through, ShopCalls.RECOMMENDATIONS))
                        .deadline(Duration.ofSeconds(3))
                        .timeout(Duration.ofSeconds(1))
                        .retry(r -> r.maxAttempts(3).backoff(Backoff.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(4))))
                        .bulkhead(b -> b.maxConcurrentCalls(20)));
    }

    private static URI url(Map<String, Integer> through, String dependency) {
        return URI.create("http://127.0.0.1:" + through.get(dependency) + "/");
    }
}
