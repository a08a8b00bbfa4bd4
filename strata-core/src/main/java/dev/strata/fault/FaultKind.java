package dev.strata.fault;

/**
 * Every kind of failure Strata recognises, each tied to the {@link Layer} it belongs to and to
 * whether trying again can help.
 *
 * <p>Retryability here is a property of the kind, not a promise: a retry policy still honours
 * idempotency, deadlines and budgets. Kinds of the {@link Layer#APPLICATION} layer are never
 * retryable, because the same request will fail the same way.
 */
public enum FaultKind {
    // L1: network
    DNS_FAILURE(Layer.NETWORK, true, "dns-failure"),
    CONNECTION_REFUSED(Layer.NETWORK, true, "connection-refused"),
    CONNECT_TIMEOUT(Layer.NETWORK, true, "connect-timeout"),
    TLS_HANDSHAKE_FAILURE(Layer.NETWORK, false, "tls-handshake-failure"),
    CONNECTION_RESET(Layer.NETWORK, true, "connection-reset"),
    /** A reset or EOF on a connection reused after sitting idle: something closed it meanwhile. */
    STALE_CONNECTION(Layer.NETWORK, true, "stale-connection"),
    READ_TIMEOUT(Layer.NETWORK, true, "read-timeout"),
    /** Another I/O failure on the wire that fits none of the kinds above. */
    NETWORK_IO(Layer.NETWORK, true, "network-io"),

    // L2: resources
    POOL_EXHAUSTED(Layer.RESOURCE, true, "pool-exhausted"),
    RATE_LIMITED(Layer.RESOURCE, true, "rate-limited"),
    /** The server refused a new connection because it is at its own limit (PostgreSQL 53300). */
    TOO_MANY_CONNECTIONS(Layer.RESOURCE, true, "too-many-connections"),
    /** The resource or pool was closed (shutdown): nothing to retry against. */
    RESOURCE_CLOSED(Layer.RESOURCE, false, "resource-closed"),

    // L3: raised by Strata's own policies
    DEADLINE_EXCEEDED(Layer.RESILIENCE, false, "deadline-exceeded"),
    ATTEMPT_TIMEOUT(Layer.RESILIENCE, true, "attempt-timeout"),
    CIRCUIT_OPEN(Layer.RESILIENCE, false, "circuit-open"),
    BULKHEAD_FULL(Layer.RESILIENCE, false, "bulkhead-full"),
    RETRIES_EXHAUSTED(Layer.RESILIENCE, false, "retries-exhausted"),
    RETRY_BUDGET_EXHAUSTED(Layer.RESILIENCE, false, "retry-budget-exhausted"),
    /** Client-side adaptive throttling refused the call locally: the dependency accepts too few calls. */
    THROTTLED(Layer.RESILIENCE, false, "throttled"),
    /**
     * The calling thread was interrupted (the caller stopped waiting, e.g. on shutdown or a
     * cancelled request): neither the dependency's fault nor a bug in the call, and never retried.
     */
    INTERRUPTED(Layer.RESILIENCE, false, "interrupted"),
    /** A fault injected on purpose by chaos tooling; retryable so drills exercise retries. */
    INJECTED(Layer.RESILIENCE, true, "injected"),

    // L4: the caller's own request is wrong; the same request fails the same way
    CLIENT_ERROR(Layer.APPLICATION, false, "client-error"),
    VALIDATION(Layer.APPLICATION, false, "validation"),
    AUTHENTICATION(Layer.APPLICATION, false, "authentication"),
    /** An exception nothing recognised: treated as a bug in the calling code, never retried. */
    UNCLASSIFIED(Layer.APPLICATION, false, "unclassified"),

    // The dependency reported a failure on its side
    /** HTTP 5xx and the like: the dependency is failing, possibly briefly. */
    SERVER_ERROR(Layer.REMOTE, true, "server-error"),
    /** The server aborted work that can succeed if repeated (PostgreSQL 40001, 40P01). */
    TRANSIENT(Layer.REMOTE, true, "transient"),
    /** The server cancelled the statement (PostgreSQL 57014), e.g. its statement timeout. */
    CANCELLED(Layer.REMOTE, false, "cancelled"),
    /** An administrator or the server itself ended the session (PostgreSQL 57P01). */
    SERVER_SHUTDOWN(Layer.REMOTE, true, "server-shutdown");

    private final Layer layer;
    private final boolean retryable;
    private final String code;

    FaultKind(Layer layer, boolean retryable, String code) {
        this.layer = layer;
        this.retryable = retryable;
        this.code = code;
    }

    /** The layer this kind of failure belongs to. */
    public Layer layer() {
        return layer;
    }

    /** Whether repeating the same call can succeed; never true for {@link Layer#APPLICATION}. */
    public boolean retryable() {
        return retryable;
    }

    /** Stable kebab-case name used in log lines and JSON, e.g. {@code connection-reset}. */
    public String code() {
        return code;
    }

    /** {@code LAYER/code}, e.g. {@code NETWORK/stale-connection}. */
    public String qualifiedName() {
        return layer.name() + "/" + code;
    }

    /** Whether this kind means the connection it happened on can no longer be trusted. */
    public boolean poisonsConnection() {
        return layer == Layer.NETWORK || this == SERVER_SHUTDOWN;
    }
}
