package dev.strata.redis;

import dev.strata.application.Secret;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitPolicy;
import dev.strata.ratelimit.RateLimiter;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);

    private final Spec spec;
    private final RateLimitPolicy policy;
    private final CountDownLatch closing = new CountDownLatch(1);
    private RedisClient client; // guarded by this
    private StatefulRedisConnection<String, String> connection; // guarded by this
    private Thread reconnect; // guarded by this
    private volatile RedisRateLimiter limiter;
    private EventBus events = EventBus.root(); // guarded by this
    private boolean closed; // guarded by this

    RedisSharedLimit(Spec spec) {
        this.spec = spec;
        this.policy = spec.policy();
    }

    /**
     * Builds the limiter and connects to Redis (once); returns this limiter. When Redis cannot be
     * reached, the limiter still starts: it decides by its {@link RedisFallback} and a daemon thread
     * ({@code strata-redis-reconnect-<name>}) tries again, 100 ms doubling to 5 s, until Redis answers
     * or the limiter is closed. Publishes {@code ratelimit.shared-connect-failed} (WARNING, once) and
     * {@code ratelimit.shared-connected} (INFO); messages show {@code redis.uri} with its user-info masked.
     *
     * @throws IllegalStateException when closed
     */
    public synchronized RedisSharedLimit connect(EventBus events) {
        if (closed) {
            throw new IllegalStateException("rate limiter '" + spec.name() + "' is closed");
        }
        if (limiter != null) {
            return this;
        }
        this.events = events == null ? EventBus.root() : events;
        RedisRateLimiter.Builder b = RedisRateLimiter.Builder.unconnected(spec.name()).algorithm(spec.algorithm())
                .limit(spec.limit(), spec.window()).timeout(spec.timeout()).fallback(spec.fallback())
                .instances(spec.instances()).events(this.events);
        if (spec.burst() > 0) {
            b.burst(spec.burst());
        }
        RedisRateLimiter built = b.build();
        RedisClient c = RedisClient.create(RedisURI.create(spec.uri()));
        // reject commands while disconnected so the limiter falls back at once instead of queueing;
        // a bounded connect so a black-holed Redis cannot hold start() for Lettuce's default 10 s
        c.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .autoReconnect(true).socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build()).build());
        client = c;
        limiter = built;
        String failure = tryConnect();
        if (failure != null) {
            String where = "redis.uri " + uri() + " cannot be reached for the rate limit of '" + spec.name() + "' (" + failure + ")";
            built.unconnectedReason(where);
            publish(Level.WARNING, "ratelimit.shared-connect-failed", where + "; deciding by the " + spec.fallback().code()
                    + " fallback until Redis answers, retrying every " + FIRST_RETRY.toMillis() + " ms up to "
                    + LAST_RETRY.toSeconds() + " s");
            reconnect = Thread.ofPlatform().daemon().name("strata-redis-reconnect-" + spec.name()).start(this::reconnectLoop);
        }
        return this;
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /** One attempt; null when connected (or closed meanwhile), else why not, masked. */
    private String tryConnect() {
        RedisClient c;
        synchronized (this) {
            if (closed || connection != null) {
                return null;
            }
            c = client;
        }
        StatefulRedisConnection<String, String> opened;
        try {
            opened = c.connect(); // outside the lock: close() must not wait for a connect
        } catch (RuntimeException unreachable) {
            return Secret.maskUserInfo(String.valueOf(unreachable.getMessage()));
        }
        synchronized (this) {
            if (closed) {
                opened.close();
                return null;
            }
            connection = opened;
            limiter.connected(opened);
        }
        return null;
    }

    private void reconnectLoop() {
        long delay = FIRST_RETRY.toMillis();
        int attempts = 0;
        try {
            while (!closing.await(delay, TimeUnit.MILLISECONDS)) {
                attempts++;
                String failure = tryConnect();
                if (failure == null) {
                    if (connected()) {
                        publish(Level.INFO, "ratelimit.shared-connected", "redis.uri " + uri() + " answers after " + attempts
                                + " retries: the rate limit of '" + spec.name() + "' is shared again");
                    }
                    return;
                }
                limiter.unconnectedReason("redis.uri " + uri() + " cannot be reached (" + failure + ")");
                delay = Math.min(delay * 2, LAST_RETRY.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        }
    }

    /** Whether a connection to Redis is established (it may still be down for a moment: Lettuce reconnects it). */
    public synchronized boolean connected() {
        return connection != null;
    }

    private String uri() {
        return Secret.maskUserInfo(spec.uri());
    }

    private void publish(Level level, String type, String message) {
        EventBus bus;
        synchronized (this) {
            bus = events;
        }
        if (bus.isActive(level)) {
            bus.publish(new BasicEvent(System.currentTimeMillis(), spec.name(), type, Layer.RESOURCE, level,
                    level == Level.WARNING ? Fault.of(FaultKind.CONNECTION_REFUSED, "redis") : null, message));
        }
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

    /** Stops reconnecting, closes the connection and shuts the client down; idempotent. */
    @Override
    public void close() {
        Thread retrying;
        synchronized (this) {
            closed = true;
            retrying = reconnect;
            reconnect = null;
        }
        closing.countDown();
        if (retrying != null) {
            try {
                retrying.join(CONNECT_TIMEOUT.plusSeconds(1)); // at most one connect attempt in flight
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (connection != null) {
                connection.close();
                connection = null;
            }
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                client = null;
            }
        }
    }

    /** The limiter's timeout for Redis ({@code redis.timeout}). */
    @Override
    public Duration decisionBound() {
        return spec.timeout();
    }

    @Override
    public String mode() {
        RedisRateLimiter l = limiter;
        return l == null ? null : l.mode();
    }

    @Override
    public String toString() {
        return "RedisSharedLimit[" + policy + ", " + uri() + ", fallback " + spec.fallback().code() + "]";
    }
}
