/**
 * Strata Redis: rate limits shared by every instance of a service through Redis (Lettuce), with
 * a local fallback behind a circuit breaker, and the cluster's view of per-instance breakers.
 *
 * <p>strata-config is optional: with it, {@code rate_limit.shared: redis} works from config files
 * (the {@code ConfigExtension} below is found only when strata-config is present).
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Lettuce has no module-info; "lettuce.core" is its declared name
module dev.strata.redis {
    requires transitive dev.strata.core;
    requires transitive lettuce.core;              // builders take a StatefulRedisConnection
    // Lettuce is an automatic module: it reads every module but cannot declare the Netty modules it
    // runs on, and those are named modules, resolved only when a descriptor requires them.
    requires io.netty.handler;       // and through it transport, buffer, codec, resolver, common
    requires io.netty.resolver.dns;  // Lettuce's DNS resolver, used when present (as on the class path)
    requires org.slf4j;              // Lettuce logs through it; slf4j-api 2 is a named module
    requires static transitive dev.strata.config;  // optional, like the Maven dependency

    exports dev.strata.redis;

    provides dev.strata.config.ConfigExtension with dev.strata.redis.RedisRateLimitConfig;
}
