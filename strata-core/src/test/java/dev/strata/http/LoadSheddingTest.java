package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.call.Criticality;
import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Criticality-aware shedding at a real server edge on 127.0.0.1: /checkout is critical,
 * /recommendations sheddable, both behind one adaptive limit (on a manual clock, so the windows
 * close exactly when the test says; the sockets and handlers are real).
 */
class LoadSheddingTest {

    private final ManualClock clock = new ManualClock();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Criticality> seenByHandler = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @AfterEach
    void tearDown() throws InterruptedException {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
        client.close();
        executor.shutdownNow();
        assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    private void serve(LoadShedding shedding) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/checkout", exchange -> {
            try (exchange) {
                seenByHandler.add(Criticality.current());
                if (exchange.getRequestURI().getQuery() != null) { // ?hold: wait until the test releases it
                    release.await(10, TimeUnit.SECONDS);
                }
                exchange.sendResponseHeaders(200, 2);
                exchange.getResponseBody().write("ok".getBytes());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).getFilters().add(shedding.filter(Criticality.CRITICAL));
        server.createContext("/recommendations", exchange -> {
            try (exchange) {
                seenByHandler.add(Criticality.current());
                exchange.sendResponseHeaders(200, 2);
                exchange.getResponseBody().write("ok".getBytes());
            }
        }).getFilters().add(shedding.filter(Criticality.SHEDDABLE));
        server.start();
    }

    private CompletableFuture<HttpResponse<String>> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitInFlight(AdaptiveLimit limit, Criticality c, int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (limit.inFlight(c) != n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(limit.inFlight(c)).isEqualTo(n);
    }

    @Test
    void underOverloadSheddableRequestsGet503WithRetryAfterWhileCriticalOnesAreServed() throws Exception {
        AdaptiveLimit limit = AdaptiveLimit.builder("edge").clock(clock).events(EventBus.detached())
                .initialLimit(4).minLimit(1).maxLimit(4).minSamples(1).build();
        serve(LoadShedding.of(limit, Duration.ofSeconds(2)));
        // two critical checkouts in progress while a window closes: their slots become the reserve
        CompletableFuture<HttpResponse<String>> held1 = get("/checkout?hold");
        CompletableFuture<HttpResponse<String>> held2 = get("/checkout?hold");
        awaitInFlight(limit, Criticality.CRITICAL, 2);
        clock.advance(Duration.ofMillis(100));
        assertThat(get("/recommendations").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200); // closes the window

        HttpResponse<String> shed = get("/recommendations").get(10, TimeUnit.SECONDS);
        assertThat(shed.statusCode()).isEqualTo(503);
        assertThat(shed.headers().firstValue("Retry-After")).contains("2");
        assertThat(shed.body()).isEqualTo("{\"status\":503,\"error\":\"overloaded\",\"criticality\":\"sheddable\",\"retry_after_seconds\":2}");

        assertThat(get("/checkout").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // a caller may raise a request's criticality with the header; an unknown value keeps the route's
        assertThat(get("/recommendations", Criticality.HEADER, "critical").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(get("/recommendations", Criticality.HEADER, "urgent").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(503);

        release.countDown();
        assertThat(held1.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(held2.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // the filter releases its slot after the answer is sent: the client may see the answer first
        awaitInFlight(limit, Criticality.CRITICAL, 0);
        awaitInFlight(limit, Criticality.SHEDDABLE, 0);
        assertThat(limit.inFlight()).isZero();
        assertThat(limit.rejectedCount(Criticality.SHEDDABLE)).isEqualTo(2);
        assertThat(limit.rejectedCount(Criticality.CRITICAL)).isZero();
        // the handler ran with the request's criticality current, for the pipelines it calls
        assertThat(seenByHandler).contains(Criticality.CRITICAL, Criticality.SHEDDABLE);
    }
}
