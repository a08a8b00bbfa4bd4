package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.observe.EventBus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit in front of a real HTTP server on 127.0.0.1 with two worker threads that
 * each take 20 ms: a dependency of fixed capacity. Sequential calls teach the limit the
 * dependency's latency; 32 concurrent callers then queue at the server, the latency climbs far
 * above it, and the limit comes down from 50 towards the two workers, refusing the excess instead
 * of queueing it. Nothing is timed: the assertions are on the limit's state.
 */
class AdaptiveLimitOnRealSocketsTest {

    @Test
    void queueingAtTheServerBringsTheLimitDownToItsCapacity() throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(2);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(workers);
        server.createContext("/slow", exchange -> {
            try (exchange) {
                Thread.sleep(20);
                exchange.sendResponseHeaders(200, 2);
                exchange.getResponseBody().write("ok".getBytes());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        AdaptiveLimit limit = AdaptiveLimit.builder("slow").events(EventBus.detached()).initialLimit(50).minLimit(1)
                .maxLimit(200).window(Duration.ofMillis(50)).minSamples(5).build();
        Pipeline pipeline = Pipeline.builder("slow").adaptiveLimit(limit).events(EventBus.detached()).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/slow"))
                .timeout(Duration.ofSeconds(20)).build();
        try {
            for (int i = 0; i < 30; i++) {
                pipeline.execute(() -> client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            }
            assertThat(limit.baselineRttNanos()).isGreaterThan(0);
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger served = new AtomicInteger();
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                running.add(callers.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        try {
                            pipeline.execute(() -> client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
                            served.incrementAndGet();
                        } catch (AdaptiveLimitExceededException full) {
                            refused.incrementAndGet();
                            Thread.sleep(5); // a caller that was refused comes back a little later
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(limit.limit()).as("limit after 32 callers against 2 workers").isLessThanOrEqualTo(12);
            assertThat(refused.get()).isPositive();
            assertThat(served.get()).isPositive();
            assertThat(limit.inFlight()).isZero();
            assertThat(pipeline.inFlightAttempts()).isZero();
        } finally {
            callers.shutdownNow();
            client.close();
            server.stop(0);
            workers.shutdownNow();
            assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(workers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
