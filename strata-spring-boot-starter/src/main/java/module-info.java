/**
 * Strata for Spring Boot 4: one runtime bean, a DataSource per JDBC dependency, RestClient
 * routing, health groups, actuator endpoints, metrics and live reload. What the application
 * brings decides what is wired, so everything past Spring's core is {@code static} (and
 * {@code transitive} where the starter's public types show it).
 */
// Spring Boot 4 and Spring Framework 7 ship no module-info; each jar declares its name in its manifest
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.strata.spring {
    requires transitive dev.strata.core;
    requires transitive dev.strata.config;
    requires transitive spring.boot;
    requires transitive spring.boot.autoconfigure;
    requires transitive spring.beans;
    requires transitive spring.context;
    requires transitive spring.core;
    requires spring.aop;                          // @StrataCall's method interceptor
    requires java.sql;                            // the DataSource beans

    requires static transitive dev.strata.micrometer;
    requires static dev.strata.opentelemetry;
    requires static transitive spring.web;      // RestClient routing, with spring.boot.restclient
    requires static transitive spring.boot.restclient;
    requires static spring.boot.jdbc;
    requires static transitive spring.boot.actuator;
    requires static transitive spring.boot.actuator.autoconfigure;
    requires static transitive spring.boot.health;
    requires static spring.boot.micrometer.metrics;
    requires static transitive micrometer.core;
    requires static transitive io.opentelemetry.api;
    requires static context.propagation;
    requires static org.slf4j;

    exports dev.strata.spring;
    // Spring reads the auto-configurations, endpoints and @StrataCall methods by reflection
    opens dev.strata.spring;
}
