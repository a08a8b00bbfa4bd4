package dev.strata.config;

/**
 * Adds sections and binders to the configuration schema. Modules register one through
 * {@link java.util.ServiceLoader} (a file
 * {@code META-INF/services/dev.strata.config.ConfigExtension} naming the class), and
 * {@link ConfigSchema#standard()} picks it up when the module is on the class path; or pass it
 * to {@link ConfigSchema#with(ConfigExtension)} explicitly.
 *
 * <pre>{@code
 * public final class RateLimitConfig implements ConfigExtension {
 *     public void extend(ConfigSchema schema) {
 *         schema.dependency().section("rate_limit", "Local rate limit of calls to this dependency", s -> s
 *             .key(ConfigKey.of("permits", ValueType.INTEGER, null, 1, 1_000_000, "Permits per period"))
 *             .key(ConfigKey.of("period", ValueType.DURATION, Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofHours(1), "Period")));
 *         schema.onDependency((values, settings) -> values.find("rate_limit.permits", Integer.class)
 *             .ifPresent(permits -> settings.attach(LIMITER, dependency -> new MyLimiter(permits,
 *                 values.get("rate_limit.period", Duration.class)))));
 *     }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface ConfigExtension {

    /** Adds keys, sections and binders; called once per schema. */
    void extend(ConfigSchema schema);
}
