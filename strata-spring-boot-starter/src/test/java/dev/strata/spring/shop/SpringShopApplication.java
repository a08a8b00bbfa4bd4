package dev.strata.spring.shop;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/**
 * The sample Spring Boot service of the starter's tests: a plain Spring Boot web app with
 * {@code JdbcTemplate} and a {@code RestClient}, no Strata code. Strata arrives by the starter on
 * the class path and the {@code strata.*} keys in {@code application.yml}.
 */
@SpringBootApplication
public class SpringShopApplication {

    public static void main(String[] args) {
        SpringApplication.run(SpringShopApplication.class, args);
    }

    /** {@code PORT n} on standard output when {@code shop.print-port=true}: how a test finds the child process's port. */
    @Bean
    ApplicationListener<WebServerInitializedEvent> printPort(@Value("${shop.print-port:false}") boolean print) {
        return event -> {
            if (print) {
                System.out.println("PORT " + event.getWebServer().getPort());
                System.out.flush();
            }
        };
    }

    /** The payments client: an ordinary RestClient; the starter routes it through the dependency's pipeline. */
    @Bean
    RestClient payments(RestClient.Builder builder, @Value("${shop.payments-url}") String url) {
        return builder.baseUrl(url).build();
    }
}
