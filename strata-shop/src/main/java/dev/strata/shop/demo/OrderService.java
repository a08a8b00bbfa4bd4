package dev.strata.shop.demo;

import dev.strata.shop.demo.LoadGenerator.Answer;
import dev.strata.fault.FaultClassifier;
import java.util.Map;

/**
 * The order service the demo runs twice, once per variant: the same three endpoints and the same
 * business calls, protected differently.
 */
interface OrderService extends AutoCloseable {

    /** {@code naive} or {@code strata}. */
    String name();

    /** PostgreSQL only: the catalog page. */
    Answer catalog(long requestId) throws Exception;

    /** Inventory, then payments, then an order row in PostgreSQL. */
    Answer checkout(long requestId) throws Exception;

    /** The recommendations service. */
    Answer recommendations(long requestId) throws Exception;

    /**
     * Cumulative counters of the variant's resources, e.g. database connections opened and found
     * stale; the demo reports how much each phase added.
     */
    Map<String, Long> counters();

    /**
     * Called once the unmeasured warm-up is over: a variant starts the measured phases from its
     * steady state, not from what a cold JVM on a busy machine did to it in the first seconds.
     */
    default void warmedUp() {
    }

    /** How this variant's failures are classified into faults with a layer. */
    FaultClassifier classifier();

    /** Releases threads, connections and clients; bounded. */
    @Override
    void close();
}
