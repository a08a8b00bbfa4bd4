package dev.strata.redis;

/**
 * What a {@link RedisRateLimiter} decides while Redis cannot answer (down, slow beyond the
 * limiter's timeout, or its breaker open). Every decision made this way is counted and evented.
 */
public enum RedisFallback {
    /** Admit every request: availability first; the dependency behind the limit is unprotected meanwhile. */
    FAIL_OPEN("fail-open"),
    /** Refuse every request: protection first; the service refuses all limited work meanwhile. */
    FAIL_CLOSED("fail-closed"),
    /**
     * Decide with an in-process limiter of the same algorithm whose limit (and burst) is the
     * shared one divided by the known number of instances, rounded down, at least 1: the cluster
     * as a whole stays near the shared limit as long as traffic is spread evenly.
     */
    LOCAL("local");

    private final String code;

    RedisFallback(String code) {
        this.code = code;
    }

    /** Stable kebab-case name for configuration files and logs, e.g. {@code fail-open}. */
    public String code() {
        return code;
    }

    /**
     * The fallback with the given {@link #code()}.
     *
     * @throws IllegalArgumentException naming the value and the allowed codes
     */
    public static RedisFallback fromCode(String code) {
        for (RedisFallback f : values()) {
            if (f.code.equals(code)) {
                return f;
            }
        }
        throw new IllegalArgumentException("fallback: '" + code + "' is not known; allowed fail-open, fail-closed, local");
    }
}
