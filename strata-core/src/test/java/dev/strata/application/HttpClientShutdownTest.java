package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.observe.EventBus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Closing a dependency's HTTP client is one shutdown step and is bounded by what is left of the budget. */
class HttpClientShutdownTest {

    @Test
    void anUnreadStreamedResponseDoesNotHoldShutdownPastItsBudget() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/export", exchange -> { // headers now, the body never ends while the test runs
            try (exchange) {
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                out.write("first line\n".getBytes());
                out.flush();
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        Strata strata = Strata.builder().events(EventBus.detached()).shutdown(Duration.ZERO, Duration.ofSeconds(1))
                .dependency("export", d -> d.httpBaseUrl(base).required(false)).build().start();
        try {
            var client = strata.dependency("export").httpClient();
            HttpResponse<InputStream> response = client.send(client.request("/export").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200); // the body is never read nor closed

            CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(strata::shutdown);
            ShutdownReport report = shutdown.get(15, TimeUnit.SECONDS); // today: JDK close() waits for the body

            assertThat(report.steps()).extracting(ShutdownStep::step).contains("close http export");
            assertThat(report.totalNanos()).as(report.toString()).isLessThan(Duration.ofSeconds(6).toNanos());
            assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        } finally {
            release.countDown();
            server.stop(0);
            handlers.shutdownNow();
            strata.forceShutdown();
        }
    }
}
