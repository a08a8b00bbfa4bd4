package dev.strata.redis;

import dev.strata.observe.EventBus;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitPolicy;
import dev.strata.ratelimit.RateLimiter;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.time.Duration;

/**
 * A {@link RedisRateLimiter} that owns its Redis client: made from a config file by
 * {@link RedisRateLimitConfig}, it connects in {@link #connect}, which the runtime calls when it
 * creates the dependency's attachments ({@code Strata.start()}, or the dependency's first
 * pool/attachment use), and the runtime's shutdown {@link #close() closes} it with its client.
 * Until it connects it holds no threads or sockets, so building and discarding it is free. A
 * decision asked before the runtime started connects it too, but then only {@link #close()} (or
 * the runtime, once started) releases the client: start the runtime first.
 */
public final class RedisSharedLimit implements RateLimiter, AutoCloseable {

    /** What the file said, checked before anything connects. */
    record Spec(String name, URI uri, Duration timeout, RateLimitAlgorithm algorithm, int limit, Duration window,
                int burst, RedisFallback fallback, int instances) {

        /** Builds the limiter's policy the way {@link RedisRateLimiter.Builder#build()} checks it, without Redis. */
        void check() {
            if (algorithm == RateLimitAlgorithm.SLIDING_LOG) {
                throw new InvalidKey("rate_limit.algorithm", "'sliding_log' is not allowed with shared: redis (memory per key "
                        + "grows with the limit); allowed fixed_window, sliding_window_counter, token_bucket, gcra");
            }
            long windowMicros = window.toNanos() / 1000;
            boolean bucket = algorithm == RateLimitAlgorithm.GCRA || algorithm == RateLimitAlgorithm.TOKEN_BUCKET;
            if (bucket && limit > windowMicros) {
                throw new InvalidKey("rate_limit.limit", limit + " is out of range with shared: redis for a window of "
                        + windowMicros + "us (the server counts whole microseconds per permit); allowed 1.." + windowMicros);
            }
        }

        RateLimitPolicy policy() {
            return new RateLimitPolicy(name, algorithm, limit, window, burst > 0 ? burst : limit);
        }
    }

    /** A value the file cannot have with {@code shared: redis}, naming its key. */
    static final class InvalidKey extends IllegalArgumentException {
        final String key;

        InvalidKey(String key, String message) {
            super(message);
            this.key = key;
        }
    }

    private final Spec spec;
    private final RateLimitPolicy policy;
    private RedisClient client; // guarded by this
    private StatefulRedisConnection<String, String> connection; // guarded by this
    private volatile RedisRateLimiter limiter;
    private boolean closed; // guarded by this

    RedisSharedLimit(Spec spec) {
        this.spec = spec;
        this.policy = spec.policy();
    }

    /**
     * Connects (once) and returns this limiter.
     *
     * @throws IllegalStateException when closed, or Redis at the configured URI cannot be reached,
     *     naming {@code redis.uri}
     */
    public synchronized RedisSharedLimit connect(EventBus events) {
        if (closed) {
            throw new IllegalStateException("rate limiter '" + spec.name() + "' is closed");
        }
        if (limiter != null) {
            return this;
        }
        RedisClient c = RedisClient.create(RedisURI.create(spec.uri()));
        try {
            // reject commands while disconnected so the limiter falls back at once instead of queueing
            c.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .autoReconnect(true).build());
            connection = c.connect();
        } catch (RuntimeException unreachable) {
            c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw new IllegalStateException("redis.uri: " + spec.uri() + " cannot be reached for the rate limit of '"
                    + spec.name() + "': " + unreachable.getMessage(), unreachable);
        }
        client = c;
        RedisRateLimiter.Builder b = RedisRateLimiter.builder(spec.name(), connection).algorithm(spec.algorithm())
                .limit(spec.limit(), spec.window()).timeout(spec.timeout()).fallback(spec.fallback())
                .instances(spec.instances()).events(events == null ? EventBus.root() : events);
        if (spec.burst() > 0) {
            b.burst(spec.burst());
        }
        limiter = b.build();
        return this;
    }

    private RedisRateLimiter limiter() {
        RedisRateLimiter l = limiter;
        return l != null ? l : connect(null).limiter;
    }

    /** The Redis limiter deciding, once connected; null before. */
    public RedisRateLimiter delegate() {
        return limiter;
    }

    @Override
    public RateLimitPolicy policy() {
        return policy;
    }

    @Override
    public boolean tryAcquire(String key, int permits) {
        return limiter().tryAcquire(key, permits);
    }

    @Override
    public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
        return limiter().tryAcquire(key, permits, into);
    }

    /** Closes the connection and shuts the client down; idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            client = null;
        }
    }

    @Override
    public String toString() {
        return "RedisSharedLimit[" + policy + ", " + spec.uri() + ", fallback " + spec.fallback().code() + "]";
    }
}
