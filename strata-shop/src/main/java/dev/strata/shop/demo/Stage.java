package dev.strata.shop.demo;

import dev.strata.shop.ShopCalls;
import dev.strata.shop.Downstream;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.observe.EventBus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated downstreams the order services call, each behind its own {@link ChaosProxy}, and
 * the knobs the phases turn. Both variants call the same proxies; each request carries its
 * variant's name so the load each variant sends is counted separately.
 *
 * <p>Slow payments are a latency toxic on the payments proxy (the network path gets slow, the
 * service itself is unchanged); the recommendations outage is the service answering HTTP 503, so
 * the retries reach it and its load can be counted.
 */
final class Stage implements AutoCloseable {

    static final String SLOW_TOXIC = "slow-payments";

    private final DemoSettings settings;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, Downstream> services = new LinkedHashMap<>();
    private final Map<String, ChaosProxy> proxies = new LinkedHashMap<>();

    Stage(DemoSettings settings, ArrivalMeter meter, EventBus events) {
        this.settings = settings;
        try {
            start(ShopCalls.PAYMENTS, settings.paymentsNormal(), meter, events);
            start(ShopCalls.INVENTORY, settings.inventoryLatency(), meter, events);
            start(ShopCalls.RECOMMENDATIONS, settings.recommendationsLatency(), meter, events);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void start(String name, Duration latency, ArrivalMeter meter, EventBus events) {
        Downstream service = Downstream.start(name, latency, meter::record);
        resources.add(service);
        services.put(name, service);
        ChaosProxy proxy = ChaosProxy.builder(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), service.port()))
                .connectTimeout(Duration.ofSeconds(1))
                .events(events)
                .start();
        resources.add(proxy);
        proxies.put(name, proxy);
    }

    /** Where clients connect for each service: its chaos proxy on 127.0.0.1. */
    Map<String, Integer> ports() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        proxies.forEach((name, proxy) -> ports.put(name, proxy.port()));
        return ports;
    }

    /** Payments at their normal latency: no toxic. */
    void paymentsNormal() {
        ChaosProxy proxy = proxies.get(ShopCalls.PAYMENTS);
        if (proxy.toxic(SLOW_TOXIC).isPresent()) {
            proxy.removeToxic(SLOW_TOXIC);
        }
    }

    /** Payments slow: the answer is delayed on its way back until it takes the seed's 5 s (compressed). */
    void paymentsSlow() {
        long extra = settings.paymentsSlow().minus(settings.paymentsNormal()).toMillis();
        proxies.get(ShopCalls.PAYMENTS).addToxic(Toxic.latency(Direction.DOWNSTREAM, extra, 0).named(SLOW_TOXIC));
    }

    void recommendationsFailing(boolean failing) {
        services.get(ShopCalls.RECOMMENDATIONS).failing(failing);
    }

    @Override
    public void close() {
        // Proxies first, then the services behind them.
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // best effort at shutdown; the others still close
            }
        }
        resources.clear();
    }
}
