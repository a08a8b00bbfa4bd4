import dev.strata.config.ConfigExtension;

/**
 * Strata config: one YAML or properties file, plus environment overrides, to a Strata runtime,
 * with every problem reported at once with its file, line and column.
 *
 * <p>Other modules add keys through {@link ConfigExtension}s, found with {@link java.util.ServiceLoader}:
 * on the module path by their {@code provides} clause, on the class path by their
 * {@code META-INF/services} file (each Strata module that has one declares both).
 */
module dev.strata.config {
    requires transitive dev.strata.core;   // LoadedConfig builds a dev.strata.application.Strata
    requires org.snakeyaml.engine;         // the YAML parser; not part of this module's API

    exports dev.strata.config;

    uses ConfigExtension;
    provides ConfigExtension with dev.strata.config.HttpEdgeConfig, dev.strata.config.DependencyRateLimitConfig,
            dev.strata.config.OverloadConfig;
}
