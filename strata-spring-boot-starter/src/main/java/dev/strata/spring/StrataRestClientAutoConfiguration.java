package dev.strata.spring;

import dev.strata.application.Strata;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.DependsOn;
import org.springframework.web.client.RestClient;

/**
 * Every {@code RestClient.Builder} from the context routes the requests to a configured HTTP
 * dependency ({@code strata.dependencies.<name>.http.base_url}) through its {@code StrataHttpClient}
 * ({@link StrataRestClientRouting}); switch off with {@code strata.spring.rest-client=false}.
 */
@AutoConfiguration(after = StrataAutoConfiguration.class,
        beforeName = "org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration")
@ConditionalOnClass({RestClient.class, RestClientCustomizer.class})
@ConditionalOnBean(Strata.class)
@org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty(name = "strata.spring.rest-client",
        matchIfMissing = true)
public class StrataRestClientAutoConfiguration {

    /** Instantiated by Spring Boot's auto-configuration. */
    public StrataRestClientAutoConfiguration() {
    }

    /**
     * Adds {@link StrataRestClientRouting} to every builder. Depends on the runtime's lifecycle
     * bean, so that bean exists before any bean built from a customized builder: Spring destroys
     * singletons in the reverse order they were created, and a bean that holds a RestClient
     * depends only on a prototype builder, which it does not count. Without this a
     * {@code @PreDestroy} method calling a dependency found the runtime already closed.
     */
    @Bean
    @DependsOn(StrataBeanRegistrar.LIFECYCLE_BEAN)
    public RestClientCustomizer strataRestClientCustomizer(Strata strata) {
        StrataRestClientRouting routing = new StrataRestClientRouting(strata);
        return builder -> builder.requestInterceptor(routing);
    }
}
