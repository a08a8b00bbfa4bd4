package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import dev.strata.config.LoadedConfig;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * The one {@link Strata} runtime of the application, built from the {@code strata.*} keys (and
 * {@code strata.config-file}) by strata-config, with a {@link StrataLifecycle} that starts it with
 * the context and shuts it down when the context destroys its beans, and a {@code DataSource} bean
 * per JDBC dependency. Switched off by {@code strata.spring.enabled=false}.
 *
 * <p>Graceful shutdown in Spring: readiness turns down and the web server drains before the
 * runtime shuts down, and the beans using its data sources are destroyed before it closes its
 * pools. So the runtime's own pause ({@code strata.shutdown.pause}) defaults to 0 here (it would
 * only add a wait after the server closed); set it to keep one. The runtime's budget
 * ({@code strata.shutdown.budget}) is capped at {@code spring.lifecycle.timeout-per-shutdown-phase}
 * (default 30 s), so the close takes no longer than the one phase Spring would wait for.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnBooleanProperty(name = "strata.spring.enabled", matchIfMissing = true)
@Import(StrataBeanRegistrar.class)
public class StrataAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataAutoConfiguration() {
    }

    /** The runtime, built (validated) but not started; {@link StrataLifecycle} starts it. */
    @Bean
    public Strata strata(LoadedConfig config, Environment environment, ObjectProvider<StrataBuilderCustomizer> customizers) {
        return builder(config, environment, customizers).build();
    }

    /** The runtime's builder from {@code config}: at start, and again for each reload. */
    static StrataBuilder builder(LoadedConfig config, Environment environment,
                                  ObjectProvider<StrataBuilderCustomizer> customizers) {
        StrataBuilder builder = config.builder();
        Duration pause = config.root().find("shutdown.pause", Duration.class).orElse(Duration.ZERO);
        Duration budget = config.root().get("shutdown.budget", Duration.class);
        Duration phase = environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class,
                Duration.ofSeconds(30));
        if (phase.compareTo(budget) < 0 && !phase.isZero() && !phase.isNegative()) {
            budget = phase;
        }
        builder.shutdown(pause, budget);
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder;
    }

    /**
     * Live reload: {@code POST /actuator/strata/reload}, and changes of {@code strata.config-file}
     * while it is watched (see {@link StrataReloader}).
     */
    @Bean
    public StrataReloader strataReloader(Strata strata, LoadedConfig config,
                                         org.springframework.core.env.ConfigurableEnvironment environment,
                                         ObjectProvider<StrataBuilderCustomizer> customizers) {
        return new StrataReloader(strata, config, environment, next -> builder(next, environment, customizers));
    }

    /** Checks and proxies {@link StrataCall} methods; static, as a post-processor must be. */
    @Bean
    public static StrataCallPostProcessor strataCallPostProcessor(ObjectProvider<LoadedConfig> config,
                                                                  ObjectProvider<Strata> strata) {
        return new StrataCallPostProcessor(config, strata);
    }

    /** MDC into attempt threads, when SLF4J is present. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnClass(name = "org.slf4j.MDC")
    static class Mdc {
        @Bean
        MdcPropagation strataMdcPropagation() {
            return new MdcPropagation();
        }
    }

    /**
     * Every {@code ThreadLocalAccessor} of Micrometer's context-propagation (Spring Security's
     * context, the current observation, the application's own) into attempt threads, when the
     * library is present; the MDC stays with {@link MdcPropagation}.
     */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnClass(name = "io.micrometer.context.ContextSnapshotFactory")
    static class ContextSnapshots {
        @Bean
        ContextSnapshotPropagation strataContextSnapshotPropagation(ObjectProvider<MdcPropagation> mdc) {
            return new ContextSnapshotPropagation(mdc.getIfAvailable() != null);
        }
    }

    /**
     * Starts the runtime before the web server; shuts it down when destroyed, after the server
     * drained and after the beans that use its data sources. Named {@value StrataBeanRegistrar#LIFECYCLE_BEAN}:
     * the data source beans depend on it by that name.
     */
    @Bean(StrataBeanRegistrar.LIFECYCLE_BEAN)
    public StrataLifecycle strataLifecycle(Strata strata) {
        return new StrataLifecycle(strata);
    }
}
