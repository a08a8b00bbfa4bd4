package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code strata shop} with examples/shop.yaml as it ships: one client bursting a few hundred
 * checkouts is limited per client with 429s, and a forged X-Forwarded-For buys it nothing.
 */
class ShopRateLimitTest {

    private static final int BURST = 300;

    @Test
    void aBurstOfCheckoutsFromOneClientIsLimitedWith429sAndTheDraftHeaders() throws Exception {
        try (ShopProcess shop = ShopProcess.start(Map.of())) { // the file's limit, not the harness's override
            assertThat(shop.output()).contains("FILTER /checkout (http-edge)");
            List<HttpResponse<String>> answers = new ArrayList<>();
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            try {
                List<Future<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    sent.add(clients.submit(() -> shop.post("/checkout")));
                }
                for (Future<HttpResponse<String>> answer : sent) {
                    answers.add(answer.get(60, TimeUnit.SECONDS));
                }
            } finally {
                clients.shutdown();
                clients.awaitTermination(30, TimeUnit.SECONDS);
            }

            List<HttpResponse<String>> limited = answers.stream().filter(a -> a.statusCode() == 429).toList();
            List<HttpResponse<String>> served = answers.stream().filter(a -> a.statusCode() == 200).toList();
            assertThat(limited.size() + served.size()).isEqualTo(BURST);
            // 60 at once, then one a second while the burst lasts: most of the burst is refused
            assertThat(served.size()).isBetween(60, 120);
            assertThat(limited.size()).isGreaterThanOrEqualTo(BURST - 120);

            HttpResponse<String> refused = limited.getFirst();
            assertThat(refused.headers().firstValue("Retry-After").map(Long::parseLong)).hasValueSatisfying(s -> assertThat(s).isPositive());
            assertThat(refused.headers().firstValue("RateLimit-Policy")).contains("\"checkout\";q=60;w=60");
            assertThat(refused.headers().firstValue("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"checkout\";r=0;t="));
            assertThat(refused.body()).contains("too many checkouts from 127.0.0.1");
            assertThat(served.getFirst().headers().firstValue("RateLimit")).isPresent();

            // No proxy is trusted by default: claiming to be someone else changes nothing (seed 004's attack).
            int spoofedLimited = 0;
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> spoofed = shop.http().send(HttpRequest.newBuilder(shop.uri().resolve("/checkout"))
                        .header("X-Forwarded-For", "198.51.100." + i).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (spoofed.statusCode() == 429) {
                    spoofedLimited++;
                    assertThat(spoofed.body()).contains("from 127.0.0.1"); // the TCP peer, not the forged address
                }
            }
            assertThat(spoofedLimited).isGreaterThanOrEqualTo(7); // at most the tokens refilled meanwhile (1/s) got through
            // Only /checkout is limited.
            assertThat(shop.get("/catalog").statusCode()).isEqualTo(200);
        }
    }
}
