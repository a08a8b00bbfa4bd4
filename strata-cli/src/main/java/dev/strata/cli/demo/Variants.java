package dev.strata.cli.demo;

import dev.strata.observe.EventBus;
import java.util.List;
import java.util.Map;

/** The order services the demo runs side by side, started and closed together. */
final class Variants implements AutoCloseable {

    private final List<OrderService> all;

    private Variants(List<OrderService> all) {
        this.all = all;
    }

    /**
     * Starts the naive variant. The Strata variant joins it once the resilience pipeline and the
     * pool are on main (issue 5 depends on them).
     */
    static Variants start(DemoSettings settings, DemoDatabase database, Map<String, Integer> ports, EventBus events) {
        return new Variants(List.of(new NaiveOrderService(settings, database, ports)));
    }

    /** In report order: naive first. */
    List<OrderService> all() {
        return all;
    }

    @Override
    public void close() {
        for (OrderService variant : all.reversed()) {
            variant.close();
        }
    }
}
