package dev.strata.http;

import dev.strata.application.ShutdownReport;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.application.HealthHandlers;
import dev.strata.application.HttpClients;
import dev.strata.application.Strata;
import dev.strata.http.ScriptedServer.Reply;
import dev.strata.observe.EventBus;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.resilience.Backoff;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client and server pieces with the L4 runtime: one client per dependency, and an edge that drains. */
class HttpEdgeTest {

    private final EventBus quiet = EventBus.detached();

    @Test
    void aDependencyWithABaseUrlGetsItsClientOnItsOwnPipelineAndShutdownClosesIt() throws Exception {
        try (ScriptedServer inventory = new ScriptedServer(Reply.of(503), Reply.of(200, "in stock"))) {
            StrataHttpClient client;
            try (Strata strata = Strata.builder().events(quiet).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                    .dependency("inventory", d -> d.httpBaseUrl(inventory.uri("/")).timeout(Duration.ofSeconds(2))
                            .deadline(Duration.ofSeconds(5))
                            .retry(r -> r.maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(1)))))
                    .dependency("orders-db", d -> d.noRetry())
                    .build().start()) {
                client = strata.dependency("inventory").httpClient();
                assertThat(client.pipeline()).isSameAs(strata.dependency("inventory").pipeline());
                assertThat(strata.attachments(StrataHttpClient.class)).containsExactly(client);
                assertThat(strata.dependency("orders-db").findAttachment(HttpClients.KEY)).isEmpty();

                StrataHttpResponse<String> response = client.send(client.request("/stock/7").build(), BodyHandlers.ofString());
                assertThat(response.body()).isEqualTo("in stock");
                assertThat(response.attempts()).isEqualTo(2);
            }
            assertThat(client.httpClient().isTerminated()).isTrue();
        }
    }

    @Test
    void whileDrainingNewRequestsGet503WithConnectionCloseBeforeTheLimiterAndInFlightOnesFinish() throws Exception {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        Strata strata = Strata.builder().events(quiet).shutdown(Duration.ofMillis(300), Duration.ofSeconds(10)).build().start();
        HttpRateLimit limit = HttpRateLimit.builder(LocalRateLimiter.builder("checkout")
                .algorithm(RateLimitAlgorithm.FIXED_WINDOW).limit(100, Duration.ofMinutes(1)).build()).build();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HealthHandlers.mount(server, strata);
        var checkout = server.createContext("/checkout", exchange -> {
            try (exchange) {
                entered.countDown();
                release.await(10, TimeUnit.SECONDS);
                exchange.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        checkout.getFilters().add(HealthHandlers.admission(strata)); // first: a draining refusal spends no quota
        checkout.getFilters().add(limit.filter(TrustProxy.none()));
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            assertThat(get(client, base + "/health/ready").statusCode()).isEqualTo(200);
            CompletableFuture<HttpResponse<Void>> inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/checkout"))
                    .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.discarding());
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(strata::shutdown);
            awaitState(strata, Strata.State.REFUSING);
            assertThat(get(client, base + "/health/ready").statusCode()).isEqualTo(503);
            HttpResponse<String> refused = get(client, base + "/checkout");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Connection")).hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("close"));
            assertThat(limit.allowed()).isEqualTo(1); // only the in-flight request was counted

            release.countDown();
            assertThat(inFlight.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(shutdown.get(10, TimeUnit.SECONDS).unfinished()).isZero();
        } finally {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private static HttpResponse<String> get(HttpClient client, String uri) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build(), BodyHandlers.ofString());
    }

    private static void awaitState(Strata strata, Strata.State state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (strata.state().compareTo(state) < 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(strata.state()).isGreaterThanOrEqualTo(state);
    }
}
