package dev.strata.spring.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import dev.strata.observe.OutcomeListener;
import dev.strata.spring.shop.Downstream;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * A bean whose {@code @PreDestroy} method still calls an HTTP dependency through a RestClient the
 * starter routes through Strata: the runtime's HTTP clients close after it, not before. Such a
 * bean depends only on a prototype {@code RestClient.Builder}, which Spring does not count as a
 * dependency when it orders destruction, so the order has to come from the starter.
 */
class RestClientAtShutdownTest {

    /** What the farewell call returned, or how it failed. */
    static final AtomicReference<String> FAREWELL = new AtomicReference<>();

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        @Bean
        Farewell farewell(RestClient.Builder builder, @Value("${test.payments-url}") String url) {
            return new Farewell(builder.baseUrl(url).build());
        }
    }

    static final class Farewell {
        private final RestClient payments;

        Farewell(RestClient payments) {
            this.payments = payments;
        }

        String price() {
            return payments.get().uri("/price").retrieve().body(String.class);
        }

        @PreDestroy
        void sayGoodbye() {
            try {
                FAREWELL.set(price());
            } catch (RuntimeException e) {
                FAREWELL.set("failed: " + e);
            }
        }
    }

    @Test
    void aPreDestroyMethodCanStillCallADependencyRoutedThroughStrata() {
        try (Downstream payments = Downstream.start()) {
            String url = "http://127.0.0.1:" + payments.address().getPort();
            ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                    .web(WebApplicationType.NONE)
                    .properties("spring.config.name=no-application-yml",
                            "spring.autoconfigure.exclude="
                                    + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
                                    + "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration,"
                                    + "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration,"
                                    + "org.springframework.boot.jooq.autoconfigure.JooqAutoConfiguration",
                            "strata.dependencies.payments.http.base-url=" + url + "/",
                            "test.payments-url=" + url)
                    .run();
            Strata strata = context.getBean(Strata.class);
            AtomicInteger throughStrata = new AtomicInteger();
            strata.dependency("payments").pipeline().listen(new OutcomeListener() {
                @Override
                public void callSucceeded(String dependency, int attempts, long nanos) {
                    throughStrata.incrementAndGet();
                }
            });
            assertThat(context.getBean(Farewell.class).price()).isEqualTo("42");
            context.close();
            assertThat(FAREWELL.get()).isEqualTo("42");
            assertThat(throughStrata.get()).as("both calls went through the payments pipeline").isEqualTo(2);
            assertThat(payments.requests()).isEqualTo(2);
            assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        }
    }
}
