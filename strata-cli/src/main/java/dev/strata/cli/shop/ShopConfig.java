package dev.strata.cli.shop;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shop's own settings: where it listens, how it shuts down, its checkout budget and the
 * simulated downstreams it starts. The dependencies' policies (deadline, timeout, retry, breaker,
 * bulkhead, pool) are not here: they belong to the Strata runtime's configuration.
 *
 * @param port the order service's port on 127.0.0.1, 0 for a free one
 * @param chaosPort the chaos API's port on 127.0.0.1, 0 for a free one (Toxiproxy's is 8474)
 * @param drainPause after readiness turns 503, how long new requests are still served so load balancers notice
 * @param shutdownBudget how long in-flight requests may take to finish once new ones are refused
 * @param checkoutBudget one checkout's whole budget
 * @param orderWriteReserve of the checkout budget, the part kept back for writing the order
 * @param latencies each simulated downstream's normal latency, by dependency name
 * @param databaseIdleSessionTimeout the embedded PostgreSQL closes sessions idle longer than this
 */
public record ShopConfig(int port, int chaosPort, Duration drainPause, Duration shutdownBudget,
                         Duration checkoutBudget, Duration orderWriteReserve, Map<String, Duration> latencies,
                         Duration databaseIdleSessionTimeout) {

    /** Toxiproxy's default control port, so clients find the chaos API without configuration. */
    public static final int TOXIPROXY_PORT = 8474;

    public ShopConfig {
        Args.between("port", port, 0, 65_535);
        Args.between("chaosPort", chaosPort, 0, 65_535);
        Args.between("drainPause", drainPause, Duration.ZERO, Duration.ofMinutes(5));
        Args.between("shutdownBudget", shutdownBudget, Duration.ofMillis(1), Duration.ofMinutes(10));
        Args.between("checkoutBudget", checkoutBudget, Duration.ofMillis(1), Duration.ofMinutes(10));
        Args.between("orderWriteReserve", orderWriteReserve, Duration.ZERO, checkoutBudget);
        Args.nonNull("latencies", latencies);
        for (String name : new String[] {ShopCalls.PAYMENTS, ShopCalls.INVENTORY, ShopCalls.RECOMMENDATIONS}) {
            Args.between("latencies." + name, Args.nonNull("latencies." + name, latencies.get(name)),
                    Duration.ZERO, Duration.ofMinutes(1));
        }
        latencies = Map.copyOf(latencies);
        Args.between("databaseIdleSessionTimeout", databaseIdleSessionTimeout, Duration.ofMillis(1), Duration.ofDays(1));
    }

    /** The numbers of {@code examples/shop.yaml}: the seeds' latencies and budgets, in real time. */
    public static ShopConfig defaults() {
        Map<String, Duration> latencies = new LinkedHashMap<>();
        latencies.put(ShopCalls.PAYMENTS, Duration.ofMillis(200));
        latencies.put(ShopCalls.INVENTORY, Duration.ofMillis(50));
        latencies.put(ShopCalls.RECOMMENDATIONS, Duration.ofMillis(80));
        return new ShopConfig(8080, TOXIPROXY_PORT, Duration.ofSeconds(2), Duration.ofSeconds(20),
                Duration.ofSeconds(5), Duration.ofSeconds(1), latencies, Duration.ofSeconds(30));
    }

    /** A copy listening on another port. */
    public ShopConfig withPort(int newPort) {
        return new ShopConfig(newPort, chaosPort, drainPause, shutdownBudget, checkoutBudget, orderWriteReserve,
                latencies, databaseIdleSessionTimeout);
    }

    /** A copy with the chaos API on another port. */
    public ShopConfig withChaosPort(int newChaosPort) {
        return new ShopConfig(port, newChaosPort, drainPause, shutdownBudget, checkoutBudget, orderWriteReserve,
                latencies, databaseIdleSessionTimeout);
    }
}
