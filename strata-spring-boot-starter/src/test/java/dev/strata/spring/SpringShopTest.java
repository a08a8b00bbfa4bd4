package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.diagnosis.Diagnosis;
import dev.strata.jdbc.StrataDataSource;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.spring.shop.Downstream;
import dev.strata.spring.shop.SpringShopApplication;
import dev.strata.testsupport.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample Spring Boot shop, started on a random port with the starter, against embedded
 * PostgreSQL and a payments service behind ChaosProxy; everything through real HTTP.
 */
@SpringBootTest(classes = SpringShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpringShopTest {

    private static final String APP = "spring-shop-test";
    private static Downstream payments;
    private static ChaosProxy paymentsProxy;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @DynamicPropertySource
    static void ports(DynamicPropertyRegistry registry) {
        payments = Downstream.start();
        paymentsProxy = ChaosProxy.start("payments", payments.address());
        registry.add("shop.pg-port", () -> TestPostgres.shared().port());
        registry.add("shop.payments-port", () -> paymentsProxy.port());
        registry.add("shop.app-name", () -> APP);
    }

    @AfterAll
    static void stopDownstream() {
        paymentsProxy.close();
        payments.close();
    }

    @Value("${local.server.port}")
    int port;
    @Autowired
    ApplicationContext context;

    @Test
    @Order(1)
    void oneRuntimeOneStrataPoolAndNoHikari() {
        assertThat(context.getBeansOfType(Strata.class)).hasSize(1);
        Strata strata = context.getBean(Strata.class);
        assertThat(strata.state()).isEqualTo(Strata.State.RUNNING);
        DataSource dataSource = context.getBean(DataSource.class);
        assertThat(dataSource).isInstanceOf(StrataDataSource.class).isSameAs(strata.dependency("orders-db").dataSource());
        assertThat(context.getBean(JdbcTemplate.class).getDataSource()).isSameAs(dataSource);
        assertThat(context.getBeanNamesForType(com.zaxxer.hikari.HikariDataSource.class)).isEmpty();
        assertThat(context.getBeansOfType(DataSource.class)).containsOnlyKeys("ordersDbDataSource");
    }

    @Test
    @Order(2)
    void jdbcTemplateAndRestClientWorkThroughStrata() throws Exception {
        assertThat(post("/orders?item=tea").statusCode()).isEqualTo(200);
        HttpResponse<String> count = get("/orders/count");
        assertThat(count.statusCode()).isEqualTo(200);
        assertThat(count.body()).matches(".*\"count\":[1-9].*");

        int before = payments.requests();
        HttpResponse<String> quote = get("/quote");
        assertThat(quote.statusCode()).as(quote.body()).isEqualTo(200);
        assertThat(quote.body()).contains("42");
        assertThat(payments.requests()).isEqualTo(before + 1);
        // the call was one logical call of the payments pipeline, metered as such
        assertThat(get("/actuator/prometheus").body()).contains("strata_calls").contains("dependency=\"payments\"");
    }

    @Test
    @Order(3)
    void healthGroupsHoldStrataProbesAndDetailsPerDependency() throws Exception {
        HttpResponse<String> live = get("/actuator/health/liveness");
        HttpResponse<String> ready = get("/actuator/health/readiness");
        assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
        assertThat(live.body()).contains("strataLiveness");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("strataReadiness");
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.body()).contains("\"strata\"").contains("orders-db").contains("payments");
        HttpResponse<String> overview = get("/actuator/strata");
        assertThat(overview.statusCode()).isEqualTo(200);
        assertThat(overview.body()).contains("\"state\":\"RUNNING\"").contains("\"orders-db\"").contains("\"pools\"");
    }

    @Test
    @Order(4)
    void slowDownstreamOpensTheBreakerWhileLivenessAndReadinessStayUp() throws Exception {
        Strata strata = context.getBean(Strata.class);
        int threadsBefore = Thread.activeCount();
        paymentsProxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 3_000, 0));
        try {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> slow = get("/quote");
                assertThat(slow.statusCode()).as(slow.body()).isEqualTo(503);
            }
            CircuitBreaker breaker = strata.dependency("payments").circuitBreaker().orElseThrow();
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            HttpResponse<String> rejected = get("/quote");
            assertThat(rejected.statusCode()).isEqualTo(503);
            assertThat(rejected.body()).containsIgnoringCase("circuit");

            assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
            assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(get("/actuator/strata").body()).contains("\"breaker\":\"OPEN\"");
            HttpResponse<String> diagnosis = get("/actuator/strata/diagnosis");
            assertThat(diagnosis.statusCode()).as(diagnosis.body()).isEqualTo(200);
            // the runtime's diagnoser answers (three timeouts are below its threshold for a verdict)
            assertThat(Diagnosis.parse(diagnosis.body()).generatedAt()).isNotNull();
        } finally {
            paymentsProxy.removeAllToxics();
        }
        // timed-out attempts leave nothing behind: no borrowed connection, no stuck thread beyond the JDK client's
        assertThat(strata.dependency("orders-db").dataSource().stats().active()).isZero();
        assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 4);
    }

    @Test
    @Order(5)
    void jdbcTemplateSurvivesATerminatedBackend() throws Exception {
        assertThat(get("/orders/count").statusCode()).isEqualTo(200);
        assertThat(TestPostgres.shared().backends(APP)).isPositive();
        try (Connection admin = TestPostgres.shared().adminConnection(); Statement st = admin.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + APP + "'");
        }
        HttpResponse<String> after = get("/orders/count");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(post("/orders?item=coffee").statusCode()).isEqualTo(200);
        assertThat(TestPostgres.shared().backends(APP)).isPositive();
    }

    @Test
    @Order(6)
    void unknownDiagnosisPartIsNotFound() throws Exception {
        assertThat(get("/actuator/strata/nothing").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
