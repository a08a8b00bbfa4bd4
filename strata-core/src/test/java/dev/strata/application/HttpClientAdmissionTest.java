package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.strata.http.StrataHttpResponse;
import dev.strata.observe.EventBus;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Item 11: calls through {@link Dependency#httpClient()} are in-flight work. A slow call in flight
 * when shutdown starts is waited for (within the budget) before anything is closed, and once the
 * runtime closes its dependencies new calls are refused with {@link ShuttingDownException}.
 */
class HttpClientAdmissionTest {

    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private ExecutorService handlers;
    private HttpServer server;
    private Strata strata;

    @BeforeEach
    void slowServer() throws Exception {
        handlers = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/slow", exchange -> {
            try (exchange) {
                entered.countDown();
                release.await(20, TimeUnit.SECONDS);
                byte[] body = "done".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        strata = Strata.builder().events(EventBus.detached()).shutdown(Duration.ZERO, Duration.ofSeconds(10))
                .dependency("slow", d -> d.httpBaseUrl(base).deadline(Duration.ofSeconds(30)).timeout(Duration.ofSeconds(20)).required(false)).build().start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        strata.forceShutdown();
        server.stop(0);
        handlers.shutdownNow();
    }

    private static boolean within(Duration bound, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Test
    void aSlowHttpCallInFlightWhenShutdownStartsCompletesAndShutdownWaitsForIt() throws Exception {
        var client = strata.dependency("slow").httpClient();
        CompletableFuture<StrataHttpResponse<String>> call = CompletableFuture.supplyAsync(
                () -> client.send(client.request("/slow").GET().build(), HttpResponse.BodyHandlers.ofString()),
                Executors.newVirtualThreadPerTaskExecutor());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(strata.inFlight()).as("the HTTP call counts as in-flight work").isEqualTo(1);

        // on its own thread, as a shutdown hook runs it (the common pool may be needed by the call itself)
        CompletableFuture<ShutdownReport> shutdown = new CompletableFuture<>();
        Thread.ofPlatform().name("test-shutdown").start(() -> shutdown.complete(strata.shutdown()));
        assertThat(within(Duration.ofSeconds(5), () -> strata.state() == Strata.State.REFUSING)).isTrue();
        assertThat(strata.state()).as("nothing is closed while the call is in flight").isEqualTo(Strata.State.REFUSING);
        release.countDown();

        assertThat(call.get(10, TimeUnit.SECONDS).body()).isEqualTo("done");
        ShutdownReport report = shutdown.get(15, TimeUnit.SECONDS);
        assertThat(report.forced()).as(report.toString()).isFalse();
        assertThat(report.unfinished()).isZero();
        assertThat(strata.inFlight()).isZero();

        assertThatThrownBy(() -> client.send(client.request("/slow").GET().build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ShuttingDownException.class);
        assertThat(client.sendAsync(client.request("/slow").GET().build(), HttpResponse.BodyHandlers.ofString()))
                .failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingCause().isInstanceOf(ShuttingDownException.class);
    }
}
