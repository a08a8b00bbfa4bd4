package dev.strata.dashboard;

import dev.strata.application.ShutdownReport;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.application.Strata;
import dev.strata.observe.EventBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** An open dashboard tab must not hold a graceful shutdown to its budget. */
class DashboardShutdownTest {

    @Test
    void anOpenDashboardTabEndsWhenTheRuntimeStartsDrainingSoShutdownIsNotForced() throws Exception {
        Strata strata = Strata.builder().events(EventBus.create()).shutdown(Duration.ZERO, Duration.ofSeconds(3)).build().start();
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        try (DashboardFeed feed = DashboardFeed.start(new SimpleMeterRegistry(), Map::of, List::of, Duration.ofMillis(50))) {
            feed.endStreamsOnShutdown(strata);
            Dashboard dashboard = new Dashboard(feed);
            server.createContext(Dashboard.PATH, exchange -> { // as the shop serves it: a stream is in-flight work
                try (Strata.Admission admission = strata.admit()) {
                    dashboard.handle(exchange);
                }
            });
            server.start();
            try (Socket tab = new Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
                tab.setSoTimeout(10_000);
                OutputStream out = tab.getOutputStream();
                out.write(("GET " + Dashboard.PATH + "/events HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = tab.getInputStream();
                StringBuilder seen = new StringBuilder();
                while (!seen.toString().contains("event: history")) {
                    int b = in.read();
                    assertThat(b).as("stream ended before the history: " + seen).isNotNegative();
                    seen.append((char) b);
                }
                assertThat(strata.inFlight()).isEqualTo(1);

                ShutdownReport report = strata.shutdown();

                assertThat(report.forced()).as(report.toString()).isFalse();
                assertThat(report.unfinished()).isZero();
                assertThat(feed.clients()).isZero();
                StringBuilder rest = new StringBuilder(); // the server ended the chunked body: its last chunk is empty
                while (!rest.toString().endsWith("\r\n0\r\n\r\n")) {
                    int b = in.read();
                    assertThat(b).as("connection closed before the stream's end: " + rest).isNotNegative();
                    rest.append((char) b);
                }
            }
        } finally {
            server.stop(0);
            handlers.shutdownNow();
            strata.close();
        }
    }
}
