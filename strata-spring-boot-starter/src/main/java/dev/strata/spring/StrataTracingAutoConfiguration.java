package dev.strata.spring;

import dev.strata.application.Dependency;
import dev.strata.application.Strata;
import dev.strata.opentelemetry.StrataTracing;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * When the application has an {@link OpenTelemetry} bean and {@code strata-opentelemetry} is on the
 * class path: a span per logical call of every dependency (a child per attempt, the fault's layer
 * on a failed one), under the caller's current span, and OpenTelemetry's context carried into
 * Strata's attempt threads (always, traced or not). {@code strata.spring.trace-sample-rate} (0..1,
 * default 0.1) is the share of logical calls that get Strata's spans.
 */
@AutoConfiguration(after = StrataAutoConfiguration.class)
@ConditionalOnClass(name = {"io.opentelemetry.api.OpenTelemetry", "dev.strata.opentelemetry.StrataTracing"})
@ConditionalOnBean(Strata.class)
public class StrataTracingAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataTracingAutoConfiguration() {
    }

    /** Binds every dependency's pipeline once the runtime started; unbinds before it stops. */
    @Bean
    public TracingBinding strataTracingBinding(Strata strata, ObjectProvider<OpenTelemetry> openTelemetry, Environment environment) {
        double rate = environment.getProperty(SpringConfigSource.SPRING_PREFIX + "trace-sample-rate", Double.class, 0.1);
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException(SpringConfigSource.SPRING_PREFIX + "trace-sample-rate: " + rate
                    + " is not allowed; allowed 0..1");
        }
        return new TracingBinding(strata, openTelemetry, rate);
    }

    /** The binding's lifecycle, one phase after {@link StrataLifecycle}. */
    public static final class TracingBinding implements SmartLifecycle {
        private final Strata strata;
        private final ObjectProvider<OpenTelemetry> openTelemetry;
        private final double rate;
        private volatile StrataTracing tracing;

        TracingBinding(Strata strata, ObjectProvider<OpenTelemetry> openTelemetry, double rate) {
            this.strata = strata;
            this.openTelemetry = openTelemetry;
            this.rate = rate;
        }

        @Override
        public void start() {
            OpenTelemetry otel = openTelemetry.getIfUnique();
            if (otel == null || tracing != null) {
                return;
            }
            StrataTracing t = StrataTracing.create(otel, rate);
            for (Dependency d : strata.dependencies().values()) {
                t.bind(d.pipeline());
            }
            tracing = t;
        }

        @Override
        public void stop() {
            StrataTracing t = tracing;
            tracing = null;
            if (t != null) {
                t.close();
            }
        }

        @Override
        public boolean isRunning() {
            return tracing != null;
        }

        @Override
        public int getPhase() {
            return StrataLifecycle.PHASE + 1;
        }
    }
}
