package dev.strata.ratelimit;

/**
 * The admission algorithms Strata offers, each with a different trade-off between accuracy,
 * memory per key and cost per decision. Every algorithm admits at most {@code limit} permits per
 * {@code window} on average; they differ in how they treat bursts and at window boundaries.
 *
 * <table>
 * <caption>Trade-offs (L = limit, W = window, B = burst)</caption>
 * <tr><th>algorithm</th><th>state per key</th><th>worst case in any span of length W</th></tr>
 * <tr><td>{@link #FIXED_WINDOW}</td><td>one word</td><td>2L, e.g. L just before a boundary and L just after it</td></tr>
 * <tr><td>{@link #SLIDING_LOG}</td><td>one timestamp per admitted permit in the window (8 B each, up to 8L bytes)</td><td>exactly L</td></tr>
 * <tr><td>{@link #SLIDING_WINDOW_COUNTER}</td><td>two counts and a window index</td><td>approximate: L + L·s/W in a span s after a burst that ended the previous window</td></tr>
 * <tr><td>{@link #TOKEN_BUCKET}</td><td>two words (credit, last refill) under a lock</td><td>B + L·s/W in any span s</td></tr>
 * <tr><td>{@link #GCRA}</td><td>one word (theoretical arrival time), lock-free</td><td>B + L·s/W in any span s (the same decisions as the token bucket)</td></tr>
 * </table>
 */
public enum RateLimitAlgorithm {
    /**
     * Counts permits in consecutive windows of length W aligned to the limiter's start. Cheapest
     * and simplest, but a client can take L at the end of one window and L more at the start of
     * the next: 2L in a moment.
     */
    FIXED_WINDOW("fixed-window"),
    /**
     * Remembers the time of every admitted permit of the last W and admits while fewer than L
     * remain. Exact, at the cost of memory proportional to the limit per active key.
     */
    SLIDING_LOG("sliding-log"),
    /**
     * Estimates the count of the sliding window from the previous and the current fixed window,
     * weighting the previous by how much of it still overlaps. Constant memory; the estimate
     * assumes the previous window's permits were spread evenly, so it is off when they were not.
     */
    SLIDING_WINDOW_COUNTER("sliding-window-counter"),
    /**
     * A bucket of B tokens refilled continuously at L per W; a permit takes a token. Allows
     * bursts up to B after quiet periods and L per W sustained.
     */
    TOKEN_BUCKET("token-bucket"),
    /**
     * The generic cell rate algorithm: the token bucket expressed as a single "theoretical
     * arrival time", so one compare-and-set decides. Same decisions as {@link #TOKEN_BUCKET}.
     */
    GCRA("gcra");

    private final String code;

    RateLimitAlgorithm(String code) {
        this.code = code;
    }

    /** Stable kebab-case name for configuration files and logs, e.g. {@code token-bucket}. */
    public String code() {
        return code;
    }

    /**
     * The algorithm with the given {@link #code()}.
     *
     * @throws IllegalArgumentException naming the value and the allowed codes when none matches
     */
    public static RateLimitAlgorithm fromCode(String code) {
        for (RateLimitAlgorithm a : values()) {
            if (a.code.equals(code)) {
                return a;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (RateLimitAlgorithm a : values()) {
            allowed.append(allowed.isEmpty() ? "" : ", ").append(a.code);
        }
        throw new IllegalArgumentException("algorithm: '" + code + "' is not known; allowed " + allowed);
    }
}
