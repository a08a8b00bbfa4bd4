package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.spring.shop.SpringShopApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The required database never answers: the app still starts (within strata.start-timeout), liveness
 * is UP (a restart would not bring the database), readiness stays DOWN naming the pool.
 */
@SpringBootTest(classes = SpringShopApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "strata.start-timeout=300ms")
class DatabaseDownAtStartTest {

    @DynamicPropertySource
    static void ports(DynamicPropertyRegistry registry) {
        int closed = closedPort();
        registry.add("shop.pg-port", () -> closed);
        registry.add("shop.payments-port", () -> closed);
    }

    @Value("${local.server.port}")
    int port;

    @Test
    void readinessStaysDownWhileLivenessIsUp() throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> live = http.send(request("/actuator/health/liveness"), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> ready = http.send(request("/actuator/health/readiness"), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).contains("strataReadiness").contains("pool orders-db has not reached its database yet");
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build();
    }

    /** A loopback port nobody listens on: bound, then released. */
    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
