package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.call.ManualClock;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitPolicy;
import dev.strata.ratelimit.RateLimiter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpRateLimitTest {

    private final ManualClock clock = new ManualClock();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void tearDown() throws InterruptedException {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
        client.close();
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    private LocalRateLimiter fivePerMinute() {
        return LocalRateLimiter.builder("checkout").algorithm(RateLimitAlgorithm.FIXED_WINDOW)
                .limit(5, Duration.ofMinutes(1)).clock(clock).build();
    }

    private void serve(HttpRateLimit limit, TrustProxy trust) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/checkout", exchange -> {
            try (exchange) {
                byte[] body = "ordered".getBytes();
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        }).getFilters().add(limit.filter(trust));
        server.start();
    }

    private HttpResponse<String> post(String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/checkout"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSixthRequestInAWindowGets429WithRetryAfterAndTheDraftHeaders() throws Exception {
        HttpRateLimit limit = HttpRateLimit.builder(fivePerMinute()).build();
        serve(limit, TrustProxy.none());

        List<String> remaining = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> ok = post();
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("RateLimit-Policy")).contains("\"checkout\";q=5;w=60");
            remaining.add(ok.headers().firstValue("RateLimit").orElseThrow());
        }
        assertThat(remaining).containsExactly("\"checkout\";r=4;t=60", "\"checkout\";r=3;t=60", "\"checkout\";r=2;t=60",
                "\"checkout\";r=1;t=60", "\"checkout\";r=0;t=60");

        clock.advance(Duration.ofSeconds(15));
        HttpResponse<String> refused = post();
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).contains("45");
        assertThat(refused.headers().firstValue("RateLimit")).contains("\"checkout\";r=0;t=45");
        assertThat(refused.headers().firstValue("RateLimit-Policy")).contains("\"checkout\";q=5;w=60");
        assertThat(refused.body()).isEqualTo("{\"status\":429,\"error\":\"too many requests\",\"retry_after_seconds\":45}");
        assertThat(limit.allowed()).isEqualTo(5);
        assertThat(limit.limited()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(45));
        assertThat(post().statusCode()).isEqualTo(200); // a new window
    }

    @Test
    void spoofedForwardingHeadersDoNotBuyAFreshBucketWithoutTrust() throws Exception {
        serve(HttpRateLimit.builder(fivePerMinute()).build(), TrustProxy.none());
        int limited = 0;
        for (int i = 0; i < 20; i++) {
            if (post("X-Forwarded-For", "198.51.100." + i).statusCode() == 429) {
                limited++;
            }
        }
        assertThat(limited).isEqualTo(15); // one client, whatever it claims
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnBucket() throws Exception {
        serve(HttpRateLimit.builder(fivePerMinute()).build(), TrustProxy.cidrs("loopback"));
        for (int i = 0; i < 5; i++) {
            assertThat(post("X-Forwarded-For", "203.0.113.1").statusCode()).isEqualTo(200);
        }
        assertThat(post("X-Forwarded-For", "203.0.113.1").statusCode()).isEqualTo(429);
        assertThat(post("X-Forwarded-For", "203.0.113.2").statusCode()).isEqualTo(200);
        // what the client wrote left of what the proxy appended changes nothing
        assertThat(post("X-Forwarded-For", "7.7.7.7, 203.0.113.1").statusCode()).isEqualTo(429);
    }

    @Test
    void aLimiterThatDoesNotAnswerIsAbandonedAtTheBoundAndFailsOpen() throws Exception {
        HttpRateLimit limit = HttpRateLimit.builder(hanging()).decisionTimeout(Duration.ofMillis(50)).build();
        serve(limit, TrustProxy.none());

        long start = System.nanoTime();
        HttpResponse<String> response = post();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("RateLimit")).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5)); // not the limiter's hang
        assertThat(limit.decisionTimeouts()).isEqualTo(1);
        assertThat(limit.failedOpen()).isEqualTo(1);
    }

    @Test
    void failClosedRefusesWith503WhenTheLimiterFails() throws Exception {
        HttpRateLimit limit = HttpRateLimit.builder(broken()).failOpen(false).build();
        serve(limit, TrustProxy.none());

        HttpResponse<String> response = post();
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).contains("1");
        assertThat(limit.decisionErrors()).isEqualTo(1);
        assertThat(limit.failedClosed()).isEqualTo(1);

        HttpRateLimit closedOnHang = HttpRateLimit.builder(hanging()).decisionTimeout(Duration.ofMillis(20)).failOpen(false).build();
        assertThat(closedOnHang.check("k", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.FAILED_CLOSED);
        assertThat(closedOnHang.decisionTimeouts()).isEqualTo(1);
    }

    @Test
    void checkIsAPlainFunctionForOtherFrameworks() {
        HttpRateLimit limit = HttpRateLimit.builder(fivePerMinute()).build();
        Map<String, String> headers = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            assertThat(limit.check("203.0.113.1", headers::put)).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
        }
        HttpRateLimit.Outcome outcome = limit.check("203.0.113.1", headers::put);
        assertThat(outcome).isEqualTo(HttpRateLimit.Outcome.LIMITED);
        assertThat(outcome.status()).isEqualTo(429);
        assertThat(headers).containsEntry("Retry-After", "60").containsEntry("RateLimit", "\"checkout\";r=0;t=60")
                .containsEntry("RateLimit-Policy", "\"checkout\";q=5;w=60");
    }

    /** A shared limiter whose server stopped answering. */
    private RateLimiter hanging() {
        return new RemoteLike() {
            @Override
            public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }
        };
    }

    /** A shared limiter whose connection failed. */
    private static RateLimiter broken() {
        return new RemoteLike() {
            @Override
            public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
                throw new IllegalStateException("connection refused");
            }
        };
    }

    private abstract static class RemoteLike implements RateLimiter {
        @Override
        public RateLimitPolicy policy() {
            return RateLimitPolicy.of("shared", RateLimitAlgorithm.FIXED_WINDOW, 5, Duration.ofMinutes(1));
        }

        @Override
        public boolean tryAcquire(String key, int permits) {
            return tryAcquire(key, permits, new RateLimitDecision());
        }
    }
}
