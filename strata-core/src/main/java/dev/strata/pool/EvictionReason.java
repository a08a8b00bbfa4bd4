package dev.strata.pool;

/** Why a pool closed one of its resources. */
public enum EvictionReason {
    /** Failed validation on borrow after sitting idle: the server or a middlebox had dropped it. */
    STALE("stale"),
    /** Failed a keepalive ping while idle. */
    KEEPALIVE_FAILED("keepalive-failed"),
    /** Failed with a connection-class fault while in use; never returned to the pool. */
    BROKEN("broken"),
    /** Could not be reset for the next borrower. */
    RESET_FAILED("reset-failed"),
    /** Reached its maximum lifetime. */
    MAX_LIFETIME("max-lifetime"),
    /** Idle longer than the idle timeout while the pool held more than its minimum. */
    IDLE_TIMEOUT("idle-timeout"),
    /** The pool was closed. */
    POOL_CLOSED("pool-closed");

    private final String code;

    EvictionReason(String code) {
        this.code = code;
    }

    /** Kebab-case name for logs and tables. */
    public String code() {
        return code;
    }

    /** Whether the resource was found broken (as opposed to retired on schedule or at shutdown). */
    public boolean isFailure() {
        return this == STALE || this == KEEPALIVE_FAILED || this == BROKEN || this == RESET_FAILED;
    }
}
