package dev.strata.shop.demo;

import dev.strata.shop.ShopDatabase;
import dev.strata.observe.EventBus;
import java.util.List;
import java.util.Map;

/** The two order services the demo runs side by side, started and closed together. */
final class Variants implements AutoCloseable {

    private final List<OrderService> all;

    private Variants(List<OrderService> all) {
        this.all = all;
    }

    /** Starts the naive and the Strata variant against the same database and downstreams. */
    static Variants start(DemoSettings settings, ShopDatabase database, Map<String, Integer> ports, EventBus events) {
        NaiveOrderService naive = new NaiveOrderService(settings, database, ports);
        try {
            return new Variants(List.of(naive, new StrataOrderService(settings, database, ports, events)));
        } catch (RuntimeException e) {
            naive.close();
            throw e;
        }
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
