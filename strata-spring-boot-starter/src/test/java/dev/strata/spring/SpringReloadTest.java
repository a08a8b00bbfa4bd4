package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.application.Strata;
import dev.strata.chaos.ChaosProxy;
import dev.strata.observe.StrataEvent;
import dev.strata.spring.shop.Downstream;
import dev.strata.spring.shop.SpringShopApplication;
import dev.strata.testsupport.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Live reload in the sample Spring Boot shop, through real HTTP: a change of
 * {@code strata.config-file} is applied while the app serves, {@code POST /actuator/strata/reload}
 * re-reads the Environment, a pool size is refused with nothing applied, a broken file is refused
 * whole, located; each reload is one event on the runtime's bus.
 */
@SpringBootTest(classes = SpringShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String FILE = """
            dependencies:
              payments:
                deadline: 5s
                retry: {attempts: 2}
                bulkhead: {max_concurrent: 10}
            """;
    private static Path dir;
    private static Path file;
    private static Downstream payments;
    private static ChaosProxy paymentsProxy;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        try {
            dir = Files.createTempDirectory("strata-reload");
            file = dir.resolve("strata.yaml");
            Files.writeString(file, FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        payments = Downstream.start();
        paymentsProxy = ChaosProxy.start("payments", payments.address());
        registry.add("shop.pg-port", () -> TestPostgres.shared().port());
        registry.add("shop.payments-port", () -> paymentsProxy.port());
        registry.add("shop.app-name", () -> "spring-reload-test");
        registry.add("strata.config-file", () -> file.toString());
    }

    @AfterAll
    static void stop() throws IOException {
        paymentsProxy.close();
        payments.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @Value("${local.server.port}")
    int port;
    @Autowired
    Strata strata;
    @Autowired
    ConfigurableEnvironment environment;

    @Test
    void theConfigFileAndTheActuatorReloadLiveAndRefuseWhatNeedsARestart() throws Exception {
        LinkedBlockingQueue<StrataEvent> reloads = new LinkedBlockingQueue<>();
        try (AutoCloseable ignored = strata.events().subscribe(e -> {
            if (e.type().startsWith("runtime.reload")) {
                reloads.add(e);
            }
        })) {
            assertThat(get("/actuator/strata").body()).contains("\"bulkheadMaxConcurrent\":10");

            // the watched file changes: applied while the app serves
            write(FILE.replace("max_concurrent: 10", "max_concurrent: 20").replace("deadline: 5s", "deadline: 4s"));
            StrataEvent applied = reloads.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(applied).isNotNull();
            assertThat(applied.type()).isEqualTo("runtime.reloaded");
            assertThat(applied.message()).isEqualTo(
                    "reloaded 2 changes: payments.deadline 5.00s -> 4.00s, payments.bulkhead.max_concurrent 10 -> 20");
            assertThat(strata.dependency("payments").bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(20);
            assertThat(get("/actuator/strata").body()).contains("\"bulkheadMaxConcurrent\":20").contains("\"deadline\":\"PT4S\"");
            assertThat(get("/quote").statusCode()).isEqualTo(200);

            // the actuator reloads on demand: nothing changed
            HttpResponse<String> same = post("/actuator/strata/reload");
            assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
            assertThat(same.body()).contains("\"applied\":true").contains("reloaded: nothing changed");
            assertThat(reloads.poll(WAIT.toSeconds(), TimeUnit.SECONDS).message()).isEqualTo("reloaded: nothing changed");

            // a pool size set in the Environment: refused with 422, nothing applied
            environment.getPropertySources().addFirst(new MapPropertySource("reload-test",
                    Map.of("strata.dependencies.orders-db.pool.max-size", "9")));
            try {
                HttpResponse<String> refused = post("/actuator/strata/reload");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
                assertThat(refused.body()).contains("\"applied\":false")
                        .contains("dependency 'orders-db': pool.max_size 5 -> 9 needs a restart");
                assertThat(reloads.poll(WAIT.toSeconds(), TimeUnit.SECONDS).type()).isEqualTo("runtime.reload-refused");
                assertThat(strata.dependency("orders-db").dataSource().pool().config().maxSize()).isEqualTo(5);
            } finally {
                environment.getPropertySources().remove("reload-test");
            }

            // a broken file: refused whole, located at the file's line
            write(FILE.replace("attempts: 2", "attemps: 2"));
            StrataEvent invalid = reloads.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(invalid).isNotNull();
            assertThat(invalid.type()).isEqualTo("runtime.reload-refused");
            assertThat(invalid.message()).contains("reload refused, invalid configuration (nothing applied): " + file + ":4:")
                    .contains("retry.attemps: unknown key, did you mean 'attempts'?");
            assertThat(strata.dependency("payments").bulkhead().orElseThrow().maxConcurrentCalls()).isEqualTo(20);
            assertThat(reloads).isEmpty(); // one event per reload, no more
        }
    }

    private void write(String text) throws IOException {
        Path next = dir.resolve("strata.yaml.tmp");
        Files.writeString(next, text);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
