package dev.strata.redis;

import dev.strata.application.AttachmentKey;
import dev.strata.application.InvalidConfigurationException;
import dev.strata.config.ConfigExtension;
import dev.strata.config.ConfigKey;
import dev.strata.config.ConfigSchema;
import dev.strata.config.ConfigValues;
import dev.strata.config.ValueType;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Lets a config file share a dependency's {@code rate_limit} across instances through Redis.
 * Registered by {@link java.util.ServiceLoader} when strata-redis and strata-config are both on
 * the class path (strata-config is an optional dependency of strata-redis).
 *
 * <pre>{@code
 * redis:
 *   uri: redis://127.0.0.1:6379
 *   timeout: 50ms
 * dependencies:
 *   geocoder:
 *     rate_limit: {limit: 50, window: 1s, max_wait: 200ms, shared: redis, fallback: local, instances: 4}
 * }</pre>
 *
 * <p>With {@code shared: redis} the dependency's pipeline takes its permits from a
 * {@link RedisRateLimiter} named after the dependency, instead of a local limiter: every runtime
 * built from the same file (same Redis, same dependency name) spends one budget. The limiter
 * connects on the runtime's {@code start()} or the dependency's first use, is attached to the
 * dependency ({@link #LIMITER}) and is closed, with its Redis client, on shutdown.
 */
public final class RedisRateLimitConfig implements ConfigExtension {

    /** The attachment under which a dependency's Redis-shared limiter is listed and closed. */
    public static final AttachmentKey<RedisSharedLimit> LIMITER = AttachmentKey.of("redis-rate-limit", RedisSharedLimit.class);

    /** {@code local} or {@code redis}. */
    private static final ValueType<String> SHARED = new ValueType<>() {
        @Override
        public String name() {
            return "one of local, redis";
        }

        @Override
        public String parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            if (!t.equals("local") && !t.equals("redis")) {
                throw new IllegalArgumentException("is not allowed; allowed: local, redis");
            }
            return t;
        }
    };

    /** {@code fail-open}, {@code fail-closed} or {@code local}, as {@link RedisFallback#code()} writes them. */
    private static final ValueType<RedisFallback> FALLBACK = new ValueType<>() {
        @Override
        public String name() {
            return "one of fail-open, fail-closed, local";
        }

        @Override
        public RedisFallback parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (RedisFallback f : RedisFallback.values()) {
                if (f.code().equals(t)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("is not allowed; allowed: fail-open, fail-closed, local");
        }

        @Override
        public String format(RedisFallback value) {
            return value.code();
        }
    };

    /** {@code redis://host:port} or {@code rediss://host:port}, optionally with a database path. */
    private static final ValueType<URI> REDIS_URI = new ValueType<>() {
        @Override
        public String name() {
            return "redis uri";
        }

        @Override
        public URI parse(String text) {
            URI uri;
            try {
                uri = ValueType.URL.parse(text);
            } catch (IllegalArgumentException notAUrl) {
                throw new IllegalArgumentException("is not a Redis URI; write redis://host:port, e.g. redis://127.0.0.1:6379");
            }
            if (!uri.getScheme().equals("redis") && !uri.getScheme().equals("rediss")) {
                throw new IllegalArgumentException("has scheme '" + uri.getScheme() + "'; allowed: redis, rediss (e.g. redis://127.0.0.1:6379)");
            }
            return uri;
        }
    };

    // The dependency binders see only their dependency's values; the root's redis section is
    // captured by the runtime binder, which the loader runs before them for each runtime it binds.
    private volatile ConfigValues root;

    /** For {@link java.util.ServiceLoader}, which finds this extension; see {@link ConfigExtension}. */
    public RedisRateLimitConfig() {
    }

    @Override
    public void extend(ConfigSchema schema) {
        schema.root().section("redis", "The Redis server shared rate limits use (strata-redis)", r -> r
                .key(ConfigKey.of("uri", REDIS_URI, null, "Where Redis listens, e.g. redis://127.0.0.1:6379 (unset = no Redis)"))
                .key(ConfigKey.of("timeout", ValueType.DURATION, Duration.ofMillis(100), Duration.ofMillis(1), Duration.ofSeconds(10),
                        "Longest wait for Redis per rate-limit decision; past it the fallback decides")));
        schema.dependency().section("rate_limit", "Client-side throttling: permits per window for calls to this dependency", r -> r
                .key(ConfigKey.of("shared", SHARED, "local",
                        "Where the budget lives: local (this process) or redis (one budget for every instance; needs redis.uri)"))
                .key(ConfigKey.of("fallback", FALLBACK, RedisFallback.LOCAL,
                        "shared: redis only; what decides while Redis cannot: fail-open, fail-closed, local (limit / instances)"))
                .key(ConfigKey.of("instances", ValueType.INTEGER, 1, 1, 10_000,
                        "shared: redis only; instances sharing the limit, dividing it for the local fallback")));
        schema.onRuntime((values, builder) -> root = values);
        schema.onDependency((values, settings) -> {
            if (!values.get("rate_limit.shared", String.class).equals("redis")) {
                return;
            }
            int limit = values.get("rate_limit.limit", Integer.class);
            if (limit == 0) {
                throw invalid(values, "rate_limit.shared", "'redis' needs rate_limit.limit, which is 0 (no limit); allowed: set "
                        + "rate_limit.limit to 1.." + Integer.MAX_VALUE + " or shared: local");
            }
            ConfigValues r = root;
            URI uri = r == null ? null : r.find("redis.uri", URI.class).orElse(null);
            if (uri == null) {
                throw invalid(values, "rate_limit.shared", "'redis' needs redis.uri, which is not set; "
                        + "allowed: set redis.uri (e.g. redis://127.0.0.1:6379) or shared: local");
            }
            RedisSharedLimit.Spec spec = new RedisSharedLimit.Spec(settings.name(), uri, r.get("redis.timeout", Duration.class),
                    values.get("rate_limit.algorithm", RateLimitAlgorithm.class), limit,
                    values.get("rate_limit.window", Duration.class), values.get("rate_limit.burst", Integer.class),
                    values.get("rate_limit.fallback", RedisFallback.class), values.get("rate_limit.instances", Integer.class));
            try {
                spec.check();
            } catch (RedisSharedLimit.InvalidKey bad) {
                throw invalid(values, bad.key, bad.getMessage());
            }
            Duration maxWait = values.get("rate_limit.max_wait", Duration.class);
            // one limiter per runtime and dependency (the loader binds afresh for each runtime); it
            // holds nothing until it connects, on start() or first use, and is closed as an attachment
            RedisSharedLimit limiter = new RedisSharedLimit(spec);
            settings.attach(LIMITER, dependency -> limiter.connect(dependency.events()));
            settings.pipeline(p -> p.rateLimiter(limiter, maxWait));
        });
    }

    /** A problem at {@code key} of this dependency, which the loader reports with the key's file, line and column. */
    private static InvalidConfigurationException invalid(ConfigValues values, String key, String message) {
        return new InvalidConfigurationException(List.of(new InvalidConfigurationException.Problem(values.scope() + "." + key, message)));
    }
}
