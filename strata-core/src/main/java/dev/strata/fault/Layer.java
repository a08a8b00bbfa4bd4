package dev.strata.fault;

/**
 * The layer a fault belongs to: the answer to "which layer broke?".
 *
 * <p>The four Strata layers nest: {@link #APPLICATION} contains {@link #RESILIENCE}, which
 * contains {@link #RESOURCE}, which contains {@link #NETWORK}. {@link #REMOTE} is not one of
 * ours: it marks a failure the dependency itself reported (an HTTP 503, a serialization
 * failure in the database), so a diagnosis can say "none of our layers broke, the other side
 * did".
 */
public enum Layer {
    /** L1: DNS, TCP, TLS, keepalive. How do I connect? */
    NETWORK("L1"),
    /** L2: pools, rate limits, caches. How do I share expensive things? */
    RESOURCE("L2"),
    /** L3: timeouts, retries, breakers, bulkheads, fallbacks. How do I survive failure? */
    RESILIENCE("L3"),
    /** L4: configuration, budgets, health, and the caller's own mistakes (4xx, validation). */
    APPLICATION("L4"),
    /** The dependency answered, and the answer was a failure on its side. */
    REMOTE("remote");

    private final String label;

    Layer(String label) {
        this.label = label;
    }

    /** Short label used in log lines and tables, e.g. {@code L1}. */
    public String label() {
        return label;
    }
}
