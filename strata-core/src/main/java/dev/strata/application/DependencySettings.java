package dev.strata.application;

import dev.strata.fault.FaultKind;
import dev.strata.internal.Require;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import dev.strata.resilience.Hedge;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.PoolConfig;
import dev.strata.ratelimit.RateLimiter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What {@link Strata} builds for one dependency: its pipeline's policies, its JDBC pool, its HTTP
 * base URL, its attachments. Handed to the {@code settings} callbacks of
 * {@link StrataBuilder#defaults} and {@link StrataBuilder#dependency}; the shared defaults run
 * first, then the dependency's own callback, so the dependency's calls win.
 *
 * <p>Policies are configured through the components' own builders ({@code breaker(b ->
 * b.failureRateThreshold(0.5))}), so every option those builders have is available here; the
 * runtime sets the name, clock and event bus itself. A policy is on once its method has been
 * called (by the defaults or the dependency) and off after its {@code no...} method.
 *
 * <p>Not thread-safe: it lives only while the runtime is being built.
 */
public final class DependencySettings {

    private final String name;
    Duration deadline;
    Duration timeout;
    UnaryOperator<Retry.Builder> retry;
    UnaryOperator<RetryBudget.Builder> retryBudget;
    UnaryOperator<CircuitBreaker.Builder> breaker;
    UnaryOperator<Bulkhead.Builder> bulkhead;
    UnaryOperator<AdaptiveLimit.Builder> adaptiveLimit;
    UnaryOperator<AdaptiveThrottle.Builder> throttle;
    Hedge hedge;
    RateLimiter rateLimiter;
    Duration rateLimitWait = Duration.ZERO;
    Fallback<?> fallback;
    Set<FaultKind> fallbackKinds = EnumSet.noneOf(FaultKind.class);
    UnaryOperator<Pipeline.Builder> pipeline;
    String jdbcUrl;
    String user;
    Secret password;
    String validationQuery;
    final Map<String, String> driverProperties = new LinkedHashMap<>();
    UnaryOperator<PoolConfig.Builder> pool;
    URI httpBaseUrl;
    int maxConnections;
    boolean required = true;
    final Map<AttachmentKey<?>, AttachmentKey.Factory<?>> attachments = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();

    DependencySettings(String name) {
        this.name = name;
    }

    /** The dependency's name. */
    public String name() {
        return name;
    }

    /** Total budget of each logical call (1ms..1 day); every attempt, backoff and pool wait spends from it. */
    public DependencySettings deadline(Duration deadline) {
        this.deadline = deadline;
        return this;
    }

    /** Removes a deadline set by the defaults. */
    public DependencySettings noDeadline() {
        this.deadline = null;
        return this;
    }

    /** Per-attempt timeout (1ms..1 day). */
    public DependencySettings timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** Removes a timeout set by the defaults. */
    public DependencySettings noTimeout() {
        this.timeout = null;
        return this;
    }

    /** Retries, configured on {@link Retry#builder()}; calls chain after the defaults' calls. */
    public DependencySettings retry(UnaryOperator<Retry.Builder> settings) {
        this.retry = chain(this.retry, Require.nonNull("retry", settings));
        return this;
    }

    /** No retries for this dependency. */
    public DependencySettings noRetry() {
        this.retry = null;
        return this;
    }

    /** A retry budget shared by every call to this dependency (used only with a retry or hedge). */
    public DependencySettings retryBudget(UnaryOperator<RetryBudget.Builder> settings) {
        this.retryBudget = chain(this.retryBudget, Require.nonNull("retryBudget", settings));
        return this;
    }

    public DependencySettings noRetryBudget() {
        this.retryBudget = null;
        return this;
    }

    /** A circuit breaker, configured on {@link CircuitBreaker#builder(String)}. */
    public DependencySettings breaker(UnaryOperator<CircuitBreaker.Builder> settings) {
        this.breaker = chain(this.breaker, Require.nonNull("breaker", settings));
        return this;
    }

    public DependencySettings noBreaker() {
        this.breaker = null;
        return this;
    }

    /** A bulkhead, configured on {@link Bulkhead#builder(String)}. */
    public DependencySettings bulkhead(UnaryOperator<Bulkhead.Builder> settings) {
        this.bulkhead = chain(this.bulkhead, Require.nonNull("bulkhead", settings));
        return this;
    }

    public DependencySettings noBulkhead() {
        this.bulkhead = null;
        return this;
    }

    /**
     * An adaptive concurrency limit instead of a bulkhead, configured on
     * {@link AdaptiveLimit#builder(String)}: it sizes itself from the dependency's latency and drops,
     * and sheds calls by their {@link dev.strata.call.Criticality}. Not together with a bulkhead.
     */
    public DependencySettings adaptiveLimit(UnaryOperator<AdaptiveLimit.Builder> settings) {
        this.adaptiveLimit = chain(this.adaptiveLimit, Require.nonNull("adaptiveLimit", settings));
        return this;
    }

    public DependencySettings noAdaptiveLimit() {
        this.adaptiveLimit = null;
        return this;
    }

    /** Client-side adaptive throttling, configured on {@link AdaptiveThrottle#builder(String)}. */
    public DependencySettings throttle(UnaryOperator<AdaptiveThrottle.Builder> settings) {
        this.throttle = chain(this.throttle, Require.nonNull("throttle", settings));
        return this;
    }

    public DependencySettings noThrottle() {
        this.throttle = null;
        return this;
    }

    /**
     * Client-side throttling through the pipeline ({@link Pipeline.Builder#rateLimiter}): each
     * logical call takes a permit, waiting at most {@code maxWait}. The runtime lists the limiter
     * ({@link Strata#limiters()}) but does not close it: it may be shared; hand it to
     * {@link Strata#own} if the runtime should.
     */
    public DependencySettings rateLimiter(RateLimiter limiter, Duration maxWait) {
        this.rateLimiter = Require.nonNull("rateLimiter", limiter);
        this.rateLimitWait = Require.between("rate_limit.max_wait", maxWait, Duration.ZERO, Duration.ofSeconds(60));
        return this;
    }

    public DependencySettings noRateLimiter() {
        this.rateLimiter = null;
        return this;
    }

    public DependencySettings hedge(Hedge hedge) {
        this.hedge = Require.nonNull("hedge", hedge);
        return this;
    }

    /** The pipeline's own fallback, used by every call that has no fallback of its own. */
    public DependencySettings fallback(Fallback<?> fallback) {
        this.fallback = Require.nonNull("fallback", fallback);
        return this;
    }

    /**
     * The fault kinds for which a call's fallback handler is used
     * ({@link Dependency#execute(dev.strata.call.CallContext, java.util.concurrent.Callable, Fallback.Handler)}):
     * typically {@code CIRCUIT_OPEN}, {@code BULKHEAD_FULL}, {@code DEADLINE_EXCEEDED}. Replaces the defaults' list.
     */
    public DependencySettings fallbackOn(Set<FaultKind> kinds) {
        this.fallbackKinds = kinds.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(kinds);
        return this;
    }

    /** Anything else the pipeline builder offers (interceptors, classifier); runs last. */
    public DependencySettings pipeline(UnaryOperator<Pipeline.Builder> settings) {
        this.pipeline = chain(this.pipeline, Require.nonNull("pipeline", settings));
        return this;
    }

    /** A JDBC database: the runtime opens one {@link dev.strata.jdbc.StrataDataSource} for it. */
    public DependencySettings jdbc(String url, String user, String password) {
        this.jdbcUrl = Require.notBlank("jdbc.url", url);
        this.user = user;
        this.password = password == null ? null : Secret.of(password);
        return this;
    }

    /** Like {@link #jdbc(String, String, String)} with the password already wrapped. */
    public DependencySettings jdbc(String url, String user, Secret password) {
        this.jdbcUrl = Require.notBlank("jdbc.url", url);
        this.user = user;
        this.password = password;
        return this;
    }

    /** A query to validate connections with instead of {@code Connection.isValid}. */
    public DependencySettings validationQuery(String query) {
        this.validationQuery = Require.notBlank("validationQuery", query);
        return this;
    }

    /** A JDBC driver property. */
    public DependencySettings driverProperty(String key, String value) {
        driverProperties.put(Require.notBlank("driver property", key), Require.nonNull(key, value));
        return this;
    }

    /** Pool settings on {@link PoolConfig#builder(String)}; calls chain after the defaults' calls. */
    public DependencySettings pool(UnaryOperator<PoolConfig.Builder> settings) {
        this.pool = chain(this.pool, Require.nonNull("pool", settings));
        return this;
    }

    /** The base URL of an HTTP dependency, read by the HTTP client attached to it. */
    public DependencySettings httpBaseUrl(URI baseUrl) {
        this.httpBaseUrl = Require.nonNull("http.base_url", baseUrl);
        if (baseUrl.getScheme() == null || baseUrl.getHost() == null) {
            throw new IllegalArgumentException("http.base_url: '" + Secret.maskUserInfo(baseUrl) + "' is not allowed; must be absolute, e.g. http://host:port/");
        }
        return this;
    }

    /**
     * The database server's {@code max_connections}, for the connection budget when the runtime's
     * default does not apply to this server; 0 = use the runtime's default.
     */
    public DependencySettings maxConnections(int maxConnections) {
        this.maxConnections = Require.between("max_connections", maxConnections, 0, 1_000_000);
        return this;
    }

    /**
     * Whether readiness waits for this dependency's pool to reach its minimum idle size once
     * (default true). Readiness never looks at breakers or later outages (rule 6).
     */
    public DependencySettings required(boolean required) {
        this.required = required;
        return this;
    }

    /** Attaches something built from this dependency's handle (see {@link AttachmentKey.Factory}). */
    public <T> DependencySettings attach(AttachmentKey<T> key, AttachmentKey.Factory<? extends T> factory) {
        attachments.put(Require.nonNull("key", key), Require.nonNull("factory", factory));
        return this;
    }

    /** The HTTP base URL set so far, or null. */
    public URI httpBaseUrl() {
        return httpBaseUrl;
    }

    /** The JDBC URL set so far, or null. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    private static <B> UnaryOperator<B> chain(UnaryOperator<B> first, UnaryOperator<B> then) {
        if (first == null) {
            return then;
        }
        return b -> then.apply(first.apply(b));
    }
}
