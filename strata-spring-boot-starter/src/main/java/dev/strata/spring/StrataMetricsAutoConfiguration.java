package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.micrometer.StrataMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

/**
 * Binds strata-micrometer's {@code strata.*} meters to the context's {@link MeterRegistry}, lazily:
 * the registry is looked up when the runtime has started (so its pools exist and are bound once),
 * nothing is bound when the application has no registry, and the meters are removed again when
 * the context stops. With Prometheus they appear as {@code strata_*} on {@code /actuator/prometheus}.
 */
@AutoConfiguration(after = StrataAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({MeterRegistry.class, StrataMetrics.class})
@ConditionalOnBean(Strata.class)
public class StrataMetricsAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataMetricsAutoConfiguration() {
    }

    /** Binds after the runtime started, unbinds before it stops. */
    @Bean
    public MetricsBinding strataMetricsBinding(Strata strata, ObjectProvider<MeterRegistry> registry) {
        return new MetricsBinding(strata, registry);
    }

    /** The binding's lifecycle, one phase after {@link StrataLifecycle}. */
    public static final class MetricsBinding implements SmartLifecycle {
        private final Strata strata;
        private final ObjectProvider<MeterRegistry> registry;
        private volatile StrataMetrics metrics;

        MetricsBinding(Strata strata, ObjectProvider<MeterRegistry> registry) {
            this.strata = strata;
            this.registry = registry;
        }

        @Override
        public void start() {
            MeterRegistry r = registry.getIfUnique();
            if (r != null && metrics == null) {
                metrics = new StrataMetrics(r).bind(strata);
            }
        }

        @Override
        public void stop() {
            StrataMetrics m = metrics;
            metrics = null;
            if (m != null) {
                m.close();
            }
        }

        @Override
        public boolean isRunning() {
            return metrics != null;
        }

        @Override
        public int getPhase() {
            return StrataLifecycle.PHASE + 1;
        }
    }
}
