package dev.strata.shop;

import dev.strata.config.ConfigExtension;
import dev.strata.config.ConfigKey;
import dev.strata.config.ConfigValues;
import dev.strata.config.ValueType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shop's own settings, the {@code shop:} section of its configuration file: where it listens,
 * its checkout budget and the simulated services it starts. Everything about the dependencies
 * (deadline, timeout, retry, breaker, bulkhead, pool, shutdown) is the Strata runtime's part of the
 * same file. {@link #SCHEMA} adds the section to the configuration schema, so its keys are
 * validated, located and suggested like Strata's own.
 *
 * @param port the order service's port on 127.0.0.1, 0 for a free one
 * @param chaosPort the chaos API's port on 127.0.0.1, 0 for a free one (Toxiproxy's is 8474)
 * @param checkoutBudget one checkout's whole budget
 * @param orderWriteReserve of the checkout budget, the part kept back for writing the order
 * @param latencies each simulated downstream's normal latency, by dependency name
 * @param databaseIdleSessionTimeout the embedded PostgreSQL closes sessions idle longer than this
 */
public record ShopConfig(int port, int chaosPort, Duration checkoutBudget, Duration orderWriteReserve,
                         Map<String, Duration> latencies, Duration databaseIdleSessionTimeout) {

    /** Toxiproxy's default control port, so clients find the chaos API without configuration. */
    public static final int TOXIPROXY_PORT = 8474;

    /** The simulated downstreams, in start order. */
    static final List<String> DOWNSTREAMS = List.of(ShopCalls.PAYMENTS, ShopCalls.INVENTORY, ShopCalls.RECOMMENDATIONS);

    /** The {@code shop:} section of the configuration schema. */
    public static final ConfigExtension SCHEMA = schema -> schema.root().section("shop",
            "The shop's own settings (strata shop)", shop -> shop
                    .key(ConfigKey.of("port", ValueType.INTEGER, 8080, 0, 65_535,
                            "Port of the order service on 127.0.0.1 (0 = a free one)"))
                    .key(ConfigKey.of("chaos_port", ValueType.INTEGER, TOXIPROXY_PORT, 0, 65_535,
                            "Port of the Toxiproxy-compatible chaos API on 127.0.0.1 (0 = a free one)"))
                    .section("checkout", "One checkout", checkout -> checkout
                            .key(ConfigKey.of("budget", ValueType.DURATION, Duration.ofSeconds(5), Duration.ofMillis(1),
                                    Duration.ofMinutes(10), "Whole budget of one checkout"))
                            .key(ConfigKey.of("order_write_reserve", ValueType.DURATION, Duration.ofSeconds(1), Duration.ZERO,
                                    Duration.ofMinutes(10), "Part of the budget kept back for writing the order")))
                    .section("database", "The embedded PostgreSQL", database -> database
                            .key(ConfigKey.of("idle_session_timeout", ValueType.DURATION, Duration.ofSeconds(30),
                                    Duration.ofMillis(1), Duration.ofDays(1), "The server closes sessions idle this long")))
                    .section("downstreams", "The simulated HTTP services", downstreams -> {
                        for (String name : DOWNSTREAMS) {
                            downstreams.section(name, "The simulated " + name + " service", service -> service
                                    .key(ConfigKey.of("latency", ValueType.DURATION, Duration.ofMillis(100), Duration.ZERO,
                                            Duration.ofMinutes(1), "How long it takes to answer")));
                        }
                    }));

    public ShopConfig {
        Args.between("port", port, 0, 65_535);
        Args.between("chaosPort", chaosPort, 0, 65_535);
        Args.between("checkoutBudget", checkoutBudget, Duration.ofMillis(1), Duration.ofMinutes(10));
        Args.between("orderWriteReserve", orderWriteReserve, Duration.ZERO, checkoutBudget);
        Args.nonNull("latencies", latencies);
        for (String name : DOWNSTREAMS) {
            Args.between("latencies." + name, Args.nonNull("latencies." + name, latencies.get(name)),
                    Duration.ZERO, Duration.ofMinutes(1));
        }
        latencies = Map.copyOf(latencies);
        Args.between("databaseIdleSessionTimeout", databaseIdleSessionTimeout, Duration.ofMillis(1), Duration.ofDays(1));
    }

    /** The {@code shop:} section of a loaded file (defaults for what it leaves out). */
    static ShopConfig from(ConfigValues root) {
        Map<String, Duration> latencies = new LinkedHashMap<>();
        for (String name : DOWNSTREAMS) {
            latencies.put(name, root.get("shop.downstreams." + name + ".latency", Duration.class));
        }
        return new ShopConfig(root.get("shop.port", Integer.class), root.get("shop.chaos_port", Integer.class),
                root.get("shop.checkout.budget", Duration.class), root.get("shop.checkout.order_write_reserve", Duration.class),
                latencies, root.get("shop.database.idle_session_timeout", Duration.class));
    }

    /** A copy listening on another port. */
    public ShopConfig withPort(int newPort) {
        return new ShopConfig(newPort, chaosPort, checkoutBudget, orderWriteReserve, latencies, databaseIdleSessionTimeout);
    }

    /** A copy with the chaos API on another port. */
    public ShopConfig withChaosPort(int newChaosPort) {
        return new ShopConfig(port, newChaosPort, checkoutBudget, orderWriteReserve, latencies, databaseIdleSessionTimeout);
    }
}
