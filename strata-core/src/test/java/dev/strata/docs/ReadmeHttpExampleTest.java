package dev.strata.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.http.HttpRateLimit;
import dev.strata.http.HttpResponseException;
import dev.strata.http.StrataHttpClient;
import dev.strata.http.StrataHttpResponse;
import dev.strata.http.TrustProxy;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The README's "HTTP edge" examples, kept compiling and true against real servers. */
class ReadmeHttpExampleTest {

    @Test
    void readmeClientExampleRetriesAPostWithOneKey() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        List<String> keys = new ArrayList<>();
        HttpServer paymentsServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        paymentsServer.createContext("/", exchange -> {
            try (exchange) {
                keys.add(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
                exchange.getRequestBody().readAllBytes();
                if (calls.incrementAndGet() == 1) {
                    exchange.getResponseHeaders().set("Retry-After", "0");
                    exchange.sendResponseHeaders(503, -1);
                } else {
                    byte[] body = "{\"status\":\"paid\"}".getBytes();
                    exchange.sendResponseHeaders(201, body.length);
                    exchange.getResponseBody().write(body);
                }
            }
        });
        paymentsServer.start();
        String paymentsUrl = "http://127.0.0.1:" + paymentsServer.getAddress().getPort() + "/";
        try {
            // --- README client example starts
            Pipeline pipeline = Pipeline.builder("payments")
                    .deadline(Duration.ofSeconds(3))
                    .retry(Retry.builder().maxAttempts(3)
                            .backoff(Backoff.exponential(Duration.ofMillis(50), 2.0, Duration.ofMillis(500))).build())
                    .circuitBreaker(CircuitBreaker.builder("payments").build())
                    .build();
            try (StrataHttpClient payments = StrataHttpClient.builder("payments")
                    .baseUri(paymentsUrl)                      // e.g. http://payments.internal:8080/
                    .pipeline(pipeline)
                    .attemptTimeout(Duration.ofSeconds(1))     // each attempt, body included; the deadline may cut it shorter
                    .build()) {
                HttpRequest charge = payments.request("/charges")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"order\":42,\"amount_cents\":1999}"))
                        .build();
                try {
                    StrataHttpResponse<String> response = payments.send(charge, HttpResponse.BodyHandlers.ofString());
                    System.out.println(response.statusCode() + " after " + response.attempts() + " attempts, key "
                            + response.idempotencyKey().orElseThrow() + "\n" + response.trace());
                } catch (HttpResponseException refused) {                 // a 4xx, or the last 5xx
                    System.out.println(refused.status() + ": " + refused.bodySnippet());
                }
            }
            // --- README client example ends
        } finally {
            paymentsServer.stop(0);
        }
        assertThat(calls).hasValue(2);
        assertThat(keys).hasSize(2).doesNotContainNull();
        assertThat(keys.get(0)).isEqualTo(keys.get(1));
    }

    @Test
    void readmeServerExampleLimitsEachClientBehindTheProxy() throws Exception {
        // --- README server example starts
        TrustProxy trust = TrustProxy.cidrs("loopback", "private");   // our load balancers; default: TrustProxy.none()
        HttpRateLimit checkoutLimit = HttpRateLimit.builder(
                LocalRateLimiter.builder("checkout")
                        .algorithm(RateLimitAlgorithm.TOKEN_BUCKET)
                        .limit(20, Duration.ofMinutes(1))
                        .build())
                .build();

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/checkout", exchange -> {
            try (exchange) {
                String client = trust.resolve(exchange).key();             // who, behind the proxies
                byte[] body = ("{\"client\":\"" + client + "\"}").getBytes();
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        }).getFilters().add(checkoutLimit.filter(trust));                 // 429 + Retry-After + RateLimit headers
        server.start();
        // --- README server example ends

        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            URI checkout = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/checkout");
            int ok = 0;
            HttpResponse<String> last = null;
            for (int i = 0; i < 25; i++) {
                last = client.send(HttpRequest.newBuilder(checkout).header("X-Forwarded-For", "203.0.113.9").build(),
                        HttpResponse.BodyHandlers.ofString());
                if (last.statusCode() == 200) {
                    ok++;
                    assertThat(last.body()).isEqualTo("{\"client\":\"203.0.113.9\"}");
                }
            }
            assertThat(ok).isEqualTo(20);
            assertThat(last.statusCode()).isEqualTo(429);
            assertThat(last.headers().firstValue("Retry-After")).isPresent();
            assertThat(last.headers().firstValue("RateLimit-Policy")).contains("\"checkout\";q=20;w=60");
            // another client behind the same proxy has its own budget
            assertThat(client.send(HttpRequest.newBuilder(checkout).header("X-Forwarded-For", "203.0.113.10").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        } finally {
            server.stop(0);
        }
    }
}
