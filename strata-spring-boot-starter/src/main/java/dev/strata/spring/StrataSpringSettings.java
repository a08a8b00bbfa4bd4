package dev.strata.spring;

import dev.strata.config.ConfigSchema;
import java.util.Optional;
import org.springframework.core.env.Environment;

/**
 * The starter's own keys, under {@code strata.spring.*} (not part of the Strata schema, so a Strata
 * YAML file means the same with or without Spring).
 *
 * <ul>
 *   <li>{@code strata.spring.primary-datasource}: the dependency whose {@code DataSource} bean is
 *       {@code @Primary} and which {@code spring.datasource.*} configures; default the only JDBC
 *       dependency, else {@value #DEFAULT_DATASOURCE}.</li>
 *   <li>{@code strata.spring.health-probes} ({@code true}): add Strata's liveness and readiness to
 *       the {@code liveness} and {@code readiness} health groups.</li>
 * </ul>
 *
 * @param primaryDataSource the configured primary data source dependency, if any
 * @param healthProbes whether Strata's probes join the liveness and readiness groups
 */
public record StrataSpringSettings(Optional<String> primaryDataSource, boolean healthProbes) {

    /** The dependency name {@code spring.datasource.*} configures when no JDBC dependency is named. */
    public static final String DEFAULT_DATASOURCE = "datasource";

    /** Reads the settings from {@code environment}. */
    public static StrataSpringSettings of(Environment environment) {
        String primary = environment.getProperty(SpringConfigSource.SPRING_PREFIX + "primary-datasource");
        boolean probes = environment.getProperty(SpringConfigSource.SPRING_PREFIX + "health-probes", Boolean.class, true);
        return new StrataSpringSettings(Optional.ofNullable(primary).filter(s -> !s.isBlank()).map(String::strip), probes);
    }

    /** Strata's standard schema with every {@code ConfigExtension} on the class path. */
    ConfigSchema schema() {
        return ConfigSchema.standard();
    }
}
