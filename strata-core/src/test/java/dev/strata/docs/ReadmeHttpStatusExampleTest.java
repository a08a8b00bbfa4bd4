package dev.strata.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.HttpStatusException;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The README's "HTTP statuses with a plain java.net.http client" example, run against a real
 * JDK HttpServer that first answers 503 with {@code Retry-After: 1}, then 200.
 */
class ReadmeHttpStatusExampleTest {

    @Test
    void readmeHttpStatusExampleHonoursRetryAfterThenSucceeds() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/stock", exchange -> {
            try (exchange) {
                boolean busy = requests.incrementAndGet() == 1;
                if (busy) {
                    exchange.getResponseHeaders().add("Retry-After", "1");
                }
                byte[] body = (busy ? "busy" : "7").getBytes();
                exchange.sendResponseHeaders(busy ? 503 : 200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        URI inventoryUri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/stock");
        long started = System.nanoTime();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            // --- README example starts
            Pipeline inventory = Pipeline.builder("inventory")
                    .deadline(Duration.ofSeconds(5))
                    .timeout(Duration.ofSeconds(2))
                    .retry(Retry.builder().maxAttempts(3)
                            .backoff(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)))
                            .maxRetryAfter(Duration.ofSeconds(30))  // a longer Retry-After gives up at once
                            .build())
                    .build();

            String stock = inventory.execute(() -> {
                HttpRequest request = HttpRequest.newBuilder(inventoryUri).timeout(Duration.ofSeconds(2)).GET().build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() >= 400) {           // 5xx, 429: retried; other 4xx: not
                    throw new HttpStatusException(response.statusCode(),
                            response.headers().firstValue("Retry-After")
                                    .map(value -> FaultClassifier.parseRetryAfter(value, System.currentTimeMillis()))
                                    .orElse(null),
                            response.body());
                }
                return response.body();
            });
            // --- README example ends
            assertThat(stock).isEqualTo("7");
        } finally {
            server.stop(0);
        }
        assertThat(requests).hasValue(2);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited the server's Retry-After")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }
}
