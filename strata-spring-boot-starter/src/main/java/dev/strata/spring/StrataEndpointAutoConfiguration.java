package dev.strata.spring;

import dev.strata.application.Strata;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/** Registers {@link StrataEndpoint} when the actuator is present and the endpoint is exposed. */
@AutoConfiguration(after = StrataAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(Strata.class)
public class StrataEndpointAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataEndpointAutoConfiguration() {
    }

    /** {@code /actuator/strata}, {@code /actuator/strata/diagnosis} and {@code POST /actuator/strata/reload}. */
    @Bean
    @ConditionalOnAvailableEndpoint
    public StrataEndpoint strataEndpoint(Strata strata, StrataLifecycle lifecycle, StrataReloader reloader) {
        return new StrataEndpoint(strata, lifecycle, reloader);
    }
}
