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
 * checkouts is limited per client with 429s, and a forged X-Forwarded-For buys it nothing. (That
 * one interactive client is never refused is replayed on a clock in ShopExampleLimitTest.)
 */
class ShopRateLimitTest {

    /** With the 10 forged requests, below the shop's accept backlog (256): none waits on a dropped SYN. */
    private static final int BURST = 240;

    @Test
    void aBurstOfCheckoutsFromOneClientIsLimitedWith429sAndTheDraftHeaders() throws Exception {
        try (ShopProcess shop = ShopProcess.start(Map.of())) { // the file's limit, not the harness's override
            assertThat(shop.output()).contains("FILTER /checkout (http-edge)");
            List<HttpResponse<String>> answers = new ArrayList<>();
            List<HttpResponse<String>> spoofed = new ArrayList<>();
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            try {
                List<Future<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    sent.add(clients.submit(() -> shop.post("/checkout")));
                }
                // No proxy is trusted by default: claiming to be someone else, within the burst, changes
                // nothing (seed 004's attack); each forged address would otherwise get a fresh burst of 60.
                List<Future<HttpResponse<String>>> forged = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    String address = "198.51.100." + i;
                    forged.add(clients.submit(() -> shop.http().send(HttpRequest.newBuilder(shop.uri().resolve("/checkout"))
                            .header("X-Forwarded-For", address).timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())));
                }
                for (Future<HttpResponse<String>> answer : sent) {
                    answers.add(answer.get(60, TimeUnit.SECONDS));
                }
                for (Future<HttpResponse<String>> answer : forged) {
                    spoofed.add(answer.get(60, TimeUnit.SECONDS));
                }
            } finally {
                clients.shutdown();
                clients.awaitTermination(30, TimeUnit.SECONDS);
            }

            List<HttpResponse<String>> limited = answers.stream().filter(a -> a.statusCode() == 429).toList();
            List<HttpResponse<String>> served = answers.stream().filter(a -> a.statusCode() == 200).toList();
            assertThat(limited.size() + served.size()).isEqualTo(BURST);
            // 60 at once, then six a second while the burst lasts: most of the burst is refused
            assertThat(served.size()).isBetween(60, 120);
            assertThat(limited.size()).isGreaterThanOrEqualTo(BURST - 120);

            HttpResponse<String> refused = limited.getFirst();
            assertThat(refused.headers().firstValue("Retry-After").map(Long::parseLong)).hasValueSatisfying(s -> assertThat(s).isPositive());
            assertThat(refused.headers().firstValue("RateLimit-Policy")).contains("\"checkout\";q=60;w=10");
            assertThat(refused.headers().firstValue("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"checkout\";r=0;t="));
            assertThat(refused.body()).contains("too many checkouts from 127.0.0.1");
            assertThat(served.getFirst().headers().firstValue("RateLimit")).isPresent();

            List<HttpResponse<String>> spoofedLimited = spoofed.stream().filter(a -> a.statusCode() == 429).toList();
            assertThat(spoofedLimited).as("forged X-Forwarded-For sent with the burst, refused").hasSizeGreaterThanOrEqualTo(5)
                    .allSatisfy(a -> assertThat(a.body()).contains("from 127.0.0.1")); // the TCP peer, not the forged address
            System.out.printf("per-client limit: a burst of %d checkouts from one client: %d served, %d answered 429;"
                    + " %d of 10 with a forged X-Forwarded-For answered 429%n", BURST, served.size(), limited.size(),
                    spoofedLimited.size());
            // Only /checkout is limited.
            assertThat(shop.get("/catalog").statusCode()).isEqualTo(200);
        }
    }
}
