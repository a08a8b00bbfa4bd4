package dev.strata.cli.demo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulated downstreams the order services call, and the knobs the phases turn on them.
 * Both variants call the same services; each request carries its variant's name so the load each
 * variant sends is counted separately.
 */
final class Stage implements AutoCloseable {

    private final DemoSettings settings;
    private final Downstream payments;
    private final Downstream inventory;
    private final Downstream recommendations;

    Stage(DemoSettings settings, ArrivalMeter meter) {
        this.settings = settings;
        Downstream p = null;
        Downstream i = null;
        Downstream r = null;
        try {
            p = Downstream.start(ShopCalls.PAYMENTS, settings.paymentsNormal(), meter);
            i = Downstream.start(ShopCalls.INVENTORY, settings.inventoryLatency(), meter);
            r = Downstream.start(ShopCalls.RECOMMENDATIONS, settings.recommendationsLatency(), meter);
        } catch (RuntimeException e) {
            closeAll(p, i, r);
            throw e;
        }
        this.payments = p;
        this.inventory = i;
        this.recommendations = r;
    }

    /** Where clients connect for each service, on 127.0.0.1. */
    Map<String, Integer> ports() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put(ShopCalls.PAYMENTS, payments.port());
        ports.put(ShopCalls.INVENTORY, inventory.port());
        ports.put(ShopCalls.RECOMMENDATIONS, recommendations.port());
        return ports;
    }

    void paymentsNormal() {
        payments.latency(settings.paymentsNormal());
    }

    void paymentsSlow() {
        payments.latency(settings.paymentsSlow());
    }

    void recommendationsFailing(boolean failing) {
        recommendations.failing(failing);
    }

    @Override
    public void close() {
        closeAll(payments, inventory, recommendations);
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception ignored) {
                    // best effort at shutdown; the others still close
                }
            }
        }
    }
}
