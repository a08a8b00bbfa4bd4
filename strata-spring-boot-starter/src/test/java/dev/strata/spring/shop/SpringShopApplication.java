package dev.strata.spring.shop;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
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

    /** The payments client: an ordinary RestClient; the starter routes it through the dependency's pipeline. */
    @Bean
    RestClient payments(RestClient.Builder builder, @Value("${shop.payments-url}") String url) {
        return builder.baseUrl(url).build();
    }
}
