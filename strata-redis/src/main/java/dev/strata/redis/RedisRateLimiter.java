package dev.strata.redis;

import dev.strata.resilience.internal.BreakerPermits;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitPolicy;
import dev.strata.ratelimit.RateLimiter;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A rate limit shared by every instance that uses the same Redis and the same limiter name: each
 * decision is one {@code EVALSHA} of a server-side Lua script, so it takes one round trip, is
 * atomic (no client-side compare-and-set loop to livelock on a hot key), and reads the time from
 * the Redis server ({@code TIME}), so the instances' clocks do not matter. Keys carry TTLs and
 * disappear when their state is at rest; nothing grows without end.
 *
 * <p>Algorithms: {@link RateLimitAlgorithm#FIXED_WINDOW}, {@link RateLimitAlgorithm#SLIDING_WINDOW_COUNTER},
 * and {@link RateLimitAlgorithm#GCRA} (also used for {@link RateLimitAlgorithm#TOKEN_BUCKET}: the
 * same decisions in one word of state). The sliding log is refused: its memory per key grows with
 * the limit, which is the wrong trade for a shared store.
 *
 * <p>Redis down or slow is a dependency failure like any other: each decision waits at most the
 * limiter's {@code timeout}, failures feed the limiter's own {@link CircuitBreaker} (so a dead Redis
 * is not waited on again and again), and while Redis cannot answer the limiter decides by its
 * {@link RedisFallback}. Every fallback decision is counted ({@link #fallbackDecisions()}) and
 * published as a {@code ratelimit.fallback-decision} event (DEBUG); entering and leaving the
 * fallback publish {@code ratelimit.shared-unavailable} (WARNING) and {@code ratelimit.shared-resumed}
 * (INFO).
 *
 * <p>The limiter does not own the Lettuce connection; share one connection per Redis among all
 * limiters of a process, as Lettuce intends. Configure that client with
 * {@code ClientOptions.disconnectedBehavior(REJECT_COMMANDS)} so commands fail at once while the
 * connection is down instead of queueing.
 */
public final class RedisRateLimiter implements RateLimiter {

    private static final LuaScript FIXED_WINDOW = LuaScript.resource("fixed-window.lua");
    private static final LuaScript SLIDING_WINDOW_COUNTER = LuaScript.resource("sliding-window-counter.lua");
    private static final LuaScript GCRA = LuaScript.resource("gcra.lua");

    private final RateLimitPolicy policy;
    // null until a RedisSharedLimit that started with Redis down connects; decisions fall back meanwhile
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile String unconnectedReason = "Redis not connected yet";
    private final LuaScript script;
    private final String keyPrefix;
    private final String[] fixedArgs;
    private final long timeoutNanos;
    private final CircuitBreaker breaker;
    private final RedisFallback fallback;
    private final LocalRateLimiter local;
    private final EventBus events;
    private final LongAdder fallbackDecisions = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final AtomicBoolean inFallback = new AtomicBoolean();

    private RedisRateLimiter(Builder b, RateLimitPolicy policy) {
        this.policy = policy;
        this.connection = b.connection;
        this.keyPrefix = b.keyPrefix + policy.name() + ":";
        this.timeoutNanos = b.timeout.toNanos();
        this.events = b.events;
        this.fallback = b.fallback;
        this.breaker = b.breaker != null ? b.breaker : CircuitBreaker.builder("redis-ratelimit-" + policy.name())
                .mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(3).openWait(Duration.ofSeconds(1))
                .events(b.events).build();
        long windowMicros = policy.window().toNanos() / 1000;
        switch (policy.algorithm()) {
            case FIXED_WINDOW -> {
                script = FIXED_WINDOW;
                fixedArgs = new String[] {Long.toString(policy.limit()), Long.toString(windowMicros)};
            }
            case SLIDING_WINDOW_COUNTER -> {
                script = SLIDING_WINDOW_COUNTER;
                fixedArgs = new String[] {Long.toString(policy.limit()), Long.toString(windowMicros)};
            }
            default -> { // TOKEN_BUCKET and GCRA: one representation on the server
                script = GCRA;
                long interval = (windowMicros + policy.limit() - 1) / policy.limit();
                fixedArgs = new String[] {Long.toString(interval), Long.toString(policy.burst())};
            }
        }
        int instances = b.instances;
        this.local = fallback != RedisFallback.LOCAL ? null : LocalRateLimiter.builder(policy.name())
                .algorithm(policy.algorithm())
                .limit(Math.max(1, policy.limit() / instances), policy.window())
                .burst(policy.algorithm() == RateLimitAlgorithm.TOKEN_BUCKET || policy.algorithm() == RateLimitAlgorithm.GCRA
                        ? Math.max(1, policy.burst() / instances) : Math.max(1, policy.limit() / instances))
                .maxKeys(b.localMaxKeys).events(b.events).build();
    }

    /**
     * A builder for the limiter {@code name} on {@code connection}. Instances share a limit when
     * they use the same name, key prefix and Redis. Defaults: GCRA, 100 per second, burst = limit,
     * timeout 100 ms, fallback {@link RedisFallback#LOCAL} for 1 instance, a breaker that opens after
     * 3 consecutive failures for 1 s, root event bus.
     */
    public static Builder builder(String name, StatefulRedisConnection<String, String> connection) {
        if (connection == null) {
            throw new IllegalArgumentException("connection: null is not allowed");
        }
        return new Builder(name, connection);
    }

    @Override
    public RateLimitPolicy policy() {
        return policy;
    }

    @Override
    public boolean tryAcquire(String key, int permits) {
        return tryAcquire(key, permits, new RateLimitDecision());
    }

    @Override
    public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(into, "into");
        if (permits < 1 || permits > policy.burst()) {
            throw new IllegalArgumentException("permits: " + permits + " is out of range; allowed 1.." + policy.burst());
        }
        StatefulRedisConnection<String, String> connection = this.connection;
        if (connection == null) { // never connected: nothing to guard with the breaker
            return fallBack(key, permits, into, unconnectedReason);
        }
        long permit = BreakerPermits.acquire(breaker);
        if (permit == BreakerPermits.NOT_PERMITTED) {
            return fallBack(key, permits, into, "breaker " + breaker.name() + " is " + breaker.state());
        }
        if (!connection.isOpen()) {
            BreakerPermits.failed(breaker, permit, 0L, Fault.of(FaultKind.CONNECTION_REFUSED, "redis connection is down"));
            return fallBack(key, permits, into, "connection to Redis is down");
        }
        long start = System.nanoTime();
        List<Object> reply;
        try {
            String[] args = {fixedArgs[0], fixedArgs[1], Integer.toString(permits)};
            reply = script.call(connection, new String[] {keyPrefix + key}, args, start + timeoutNanos);
        } catch (TimeoutException e) {
            BreakerPermits.failed(breaker, permit, System.nanoTime() - start, Fault.of(FaultKind.READ_TIMEOUT, "redis"));
            return fallBack(key, permits, into, "Redis did not answer within " + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
        } catch (ExecutionException e) {
            Fault fault = faultOf(e.getCause());
            BreakerPermits.failed(breaker, permit, System.nanoTime() - start, fault);
            return fallBack(key, permits, into, "Redis failed: " + fault);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            BreakerPermits.release(breaker, permit);
            return fallBack(key, permits, into, "interrupted while waiting for Redis");
        }
        BreakerPermits.succeeded(breaker, permit, System.nanoTime() - start);
        if (inFallback.get() && inFallback.compareAndSet(true, false)) {
            publish(Level.INFO, "ratelimit.shared-resumed", null,
                    "Redis answers again: shared limiting resumed (" + fallbackDecisions.sum() + " fallback decisions so far)");
        }
        boolean allowed = ((Long) reply.get(0)) == 1L;
        into.set(allowed, (Long) reply.get(1), (Long) reply.get(2) * 1000L, (Long) reply.get(3) * 1000L, policy);
        if (!allowed) {
            rejected.increment();
            if (events.isActive(Level.DEBUG)) {
                publish(Level.DEBUG, "ratelimit.rejected", new Fault(FaultKind.RATE_LIMITED, "key " + key, into.retryAfter()),
                        "shared rate limit " + policy + " reached for key '" + key + "'; next in " + into.retryAfter().toMillis() + " ms");
            }
        }
        return allowed;
    }

    private static Fault faultOf(Throwable cause) {
        if (cause instanceof RedisCommandTimeoutException) {
            return Fault.of(FaultKind.READ_TIMEOUT, "redis");
        }
        if (cause instanceof RedisConnectionException) {
            return Fault.of(FaultKind.CONNECTION_REFUSED, "redis");
        }
        if (cause instanceof RedisCommandExecutionException) {
            return Fault.of(FaultKind.SERVER_ERROR, "redis: " + cause.getMessage());
        }
        Fault classified = FaultClassifier.DEFAULT.classify(cause);
        // whatever else went wrong between us and Redis is Redis being unavailable, for the breaker
        return classified.layer() == Layer.APPLICATION ? Fault.of(FaultKind.NETWORK_IO, "redis: " + cause) : classified;
    }

    private boolean fallBack(String key, int permits, RateLimitDecision into, String reason) {
        fallbackDecisions.increment();
        if (inFallback.compareAndSet(false, true)) {
            publish(Level.WARNING, "ratelimit.shared-unavailable", Fault.of(FaultKind.RATE_LIMITED, "shared limit unavailable"),
                    "shared rate limit " + policy + " unavailable (" + reason + "); deciding " + fallback.code()
                            + (local != null ? " with " + local.policy().limit() + " per instance" : "") + " until Redis answers");
        }
        boolean allowed = switch (fallback) {
            case FAIL_OPEN -> {
                into.set(true, policy.limit(), 0L, 0L, policy);
                yield true;
            }
            case FAIL_CLOSED -> {
                long wait = Math.max(breaker.remainingOpenNanos(), 1_000_000_000L);
                into.set(false, 0L, wait, wait, policy);
                yield false;
            }
            case LOCAL -> {
                if (permits > local.policy().burst()) { // more than one instance's share can ever grant
                    long wait = policy.window().toNanos();
                    into.set(false, 0L, wait, wait, policy);
                    yield false;
                }
                yield local.tryAcquire(key, permits, into);
            }
        };
        if (!allowed) {
            rejected.increment();
        }
        if (events.isActive(Level.DEBUG)) {
            publish(Level.DEBUG, "ratelimit.fallback-decision", null, (allowed ? "admitted" : "refused") + " key '" + key
                    + "' by the " + fallback.code() + " fallback: " + reason);
        }
        return allowed;
    }

    private void publish(Level level, String type, Fault fault, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(System.currentTimeMillis(), policy.name(), type, Layer.RESOURCE, level, fault, message));
        }
    }

    /** Hands the limiter the connection it was built without ({@link Builder#unconnected}). */
    void connected(StatefulRedisConnection<String, String> connection) {
        this.connection = Objects.requireNonNull(connection, "connection");
    }

    /** Why decisions fall back while there is no connection, for events and health; no password in it. */
    void unconnectedReason(String reason) {
        this.unconnectedReason = reason;
    }

    /** The limiter's timeout: past it, its fallback decides. */
    @Override
    public Duration decisionBound() {
        return Duration.ofNanos(timeoutNanos);
    }

    /** {@code shared} while Redis decides, else {@code fallback <kind>: <reason>}. */
    @Override
    public String mode() {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            return "fallback " + fallback.code() + ": " + unconnectedReason;
        }
        if (inFallback() || !c.isOpen() || breaker.state() == CircuitBreaker.State.OPEN) {
            return "fallback " + fallback.code() + ": Redis " + (c.isOpen() ? "slow or failing (breaker " + breaker.state() + ")" : "connection down");
        }
        return "shared";
    }

    /** Decisions made by the fallback since the limiter was built. */
    public long fallbackDecisions() {
        return fallbackDecisions.sum();
    }

    /** Requests refused (shared or by fallback) since the limiter was built. */
    public long rejectedCount() {
        return rejected.sum();
    }

    /** Whether the last decision was made by the fallback. */
    public boolean inFallback() {
        return inFallback.get();
    }

    /** The breaker guarding the calls to Redis. */
    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The configured fallback. */
    public RedisFallback fallback() {
        return fallback;
    }

    /** The in-process limiter used by {@link RedisFallback#LOCAL}, or null for the other fallbacks. */
    public LocalRateLimiter localFallback() {
        return local;
    }

    @Override
    public String toString() {
        return "RedisRateLimiter[" + policy + ", fallback " + fallback.code() + (inFallback() ? " (in fallback)" : "") + "]";
    }

    /** Configuration of a {@link RedisRateLimiter}, validated by {@link #build()}. */
    public static final class Builder {
        private final String name;
        private final StatefulRedisConnection<String, String> connection;
        private RateLimitAlgorithm algorithm = RateLimitAlgorithm.GCRA;
        private long limit = 100;
        private Duration window = Duration.ofSeconds(1);
        private long burst = -1;
        private String keyPrefix = "strata:rl:";
        private Duration timeout = Duration.ofMillis(100);
        private RedisFallback fallback = RedisFallback.LOCAL;
        private int instances = 1;
        private int localMaxKeys = 100_000;
        private CircuitBreaker breaker;
        private EventBus events = EventBus.root();

        /** For a limiter that decides by its fallback until {@link RedisRateLimiter#connected} hands it a connection. */
        static Builder unconnected(String name) {
            return new Builder(name, null);
        }

        private Builder(String name, StatefulRedisConnection<String, String> connection) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name: '" + name + "' is not allowed; must be a non-blank name");
            }
            this.name = name;
            this.connection = connection;
        }

        /** FIXED_WINDOW, SLIDING_WINDOW_COUNTER, TOKEN_BUCKET or GCRA (the last two share a script); default GCRA. */
        public Builder algorithm(RateLimitAlgorithm algorithm) {
            this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
            return this;
        }

        /** At most {@code limit} permits per {@code window} (1 ms..1 day) for each key, shared by all instances. */
        public Builder limit(long limit, Duration window) {
            this.limit = limit;
            this.window = window;
            return this;
        }

        /** For the bucket algorithms: the most permits at once after a quiet period; default the limit. */
        public Builder burst(long burst) {
            this.burst = burst;
            return this;
        }

        /** Prefix of the Redis keys, followed by the limiter name and the key; default {@code strata:rl:}. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
            return this;
        }

        /** The longest wait for Redis per decision, 1 ms..10 s; default 100 ms. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** What to decide while Redis cannot answer; default {@link RedisFallback#LOCAL}. */
        public Builder fallback(RedisFallback fallback) {
            this.fallback = Objects.requireNonNull(fallback, "fallback");
            return this;
        }

        /**
         * The number of instances sharing the limit, 1..10,000, used by the {@link RedisFallback#LOCAL}
         * fallback to divide the limit; default 1.
         */
        public Builder instances(int instances) {
            this.instances = instances;
            return this;
        }

        /** The key cap of the local fallback limiter, 1..100,000,000; default 100,000. */
        public Builder localMaxKeys(int localMaxKeys) {
            this.localMaxKeys = localMaxKeys;
            return this;
        }

        /** The breaker guarding Redis calls; default: opens after 3 consecutive failures, for 1 s. */
        public Builder breaker(CircuitBreaker breaker) {
            this.breaker = Objects.requireNonNull(breaker, "breaker");
            return this;
        }

        /** Where rejection and fallback events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /**
         * Validates and builds. Nothing is sent to Redis here: the scripts are loaded on first use.
         *
         * @throws IllegalArgumentException naming the field, value and allowed range
         */
        public RedisRateLimiter build() {
            if (algorithm == RateLimitAlgorithm.SLIDING_LOG) {
                throw new IllegalArgumentException("algorithm: sliding-log is not allowed for Redis (its memory per key "
                        + "grows with the limit); allowed fixed-window, sliding-window-counter, token-bucket, gcra");
            }
            RateLimitPolicy policy = new RateLimitPolicy(name, algorithm, limit, window, burst < 0 ? limit : burst);
            long windowMicros = window.toNanos() / 1000;
            boolean bucket = algorithm == RateLimitAlgorithm.GCRA || algorithm == RateLimitAlgorithm.TOKEN_BUCKET;
            if (bucket && limit > windowMicros) {
                throw new IllegalArgumentException("limit: " + limit + " is out of range for a window of " + windowMicros
                        + " us; allowed 1.." + windowMicros + " (the server counts whole microseconds per permit)");
            }
            if (timeout == null || timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("timeout: " + timeout + " is out of range; allowed 1ms..10s");
            }
            if (instances < 1 || instances > 10_000) {
                throw new IllegalArgumentException("instances: " + instances + " is out of range; allowed 1..10000");
            }
            if (localMaxKeys < 1 || localMaxKeys > 100_000_000) {
                throw new IllegalArgumentException("localMaxKeys: " + localMaxKeys + " is out of range; allowed 1..100000000");
            }
            return new RedisRateLimiter(this, policy);
        }
    }
}
