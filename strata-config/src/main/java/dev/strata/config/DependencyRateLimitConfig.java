package dev.strata.config;

import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.time.Duration;

/**
 * The {@code rate_limit} section of a dependency (or of {@code defaults}): client-side throttling
 * of the calls to it, for a provider's quota. Each logical call through the dependency's pipeline
 * takes one permit from an in-process limiter, waiting at most {@code max_wait} and never past the
 * call's deadline; without a permit it fails as {@code RESOURCE/rate-limited}. Off unless
 * {@code limit} is set.
 *
 * <pre>{@code
 * dependencies:
 *   geocoder:
 *     rate_limit: {limit: 50, window: 1s, max_wait: 200ms}
 * }</pre>
 */
public final class DependencyRateLimitConfig implements ConfigExtension {

    /** For {@link java.util.ServiceLoader}, which finds this extension; see {@link ConfigExtension}. */
    public DependencyRateLimitConfig() {
    }

    @Override
    public void extend(ConfigSchema schema) {
        schema.dependency().section("rate_limit", "Client-side throttling: permits per window for calls to this dependency", r -> r
                .key(ConfigKey.of("limit", ValueType.INTEGER, 0, 0, Integer.MAX_VALUE,
                        "Calls per window (0 = no limit)"))
                .key(ConfigKey.of("window", ValueType.DURATION, Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofDays(1),
                        "The window the limit applies to"))
                .key(ConfigKey.of("algorithm", ValueType.oneOf(RateLimitAlgorithm.class), RateLimitAlgorithm.GCRA,
                        "How admissions are decided (see docs/rate-limiting.md)"))
                .key(ConfigKey.of("burst", ValueType.INTEGER, 0, 0, Integer.MAX_VALUE,
                        "Calls at once after a quiet period, token_bucket and gcra only (0 = the limit)"))
                .key(ConfigKey.of("max_wait", ValueType.DURATION, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(60),
                        "Longest wait for a permit (also bounded by the deadline)")));
        schema.onDependency((values, settings) -> {
            int limit = values.get("rate_limit.limit", Integer.class);
            if (limit == 0 || !values.find("rate_limit.shared", Object.class).map(String::valueOf).orElse("local").equals("local")) {
                return; // off, or shared: the module that added rate_limit.shared (strata-redis) builds the limiter
            }
            int burst = values.get("rate_limit.burst", Integer.class);
            LocalRateLimiter.Builder limiter = LocalRateLimiter.builder(settings.name())
                    .algorithm(values.get("rate_limit.algorithm", RateLimitAlgorithm.class))
                    .limit(limit, values.get("rate_limit.window", Duration.class));
            if (burst > 0) {
                limiter.burst(burst);
            }
            LocalRateLimiter built = limiter.build(); // a bad combination fails the load here, located by the loader
            Duration maxWait = values.get("rate_limit.max_wait", Duration.class);
            settings.pipeline(p -> p.rateLimiter(built, maxWait));
        });
    }
}
