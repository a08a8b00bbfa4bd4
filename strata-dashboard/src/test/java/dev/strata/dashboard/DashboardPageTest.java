package dev.strata.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.application.Strata;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.micrometer.StrataMetrics;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.ResourceFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless chromium, fed by real policies: a Strata runtime whose
 * {@code payments} dependency talks over a pool of TCP connections through a ChaosProxy to an
 * echo server on 127.0.0.1. A latency toxic makes its calls time out, the breaker opens, and the
 * page must say so within 5 s; when the toxic goes, the breaker closes and the page turns healthy.
 */
class DashboardPageTest {

    @Test
    void pageShowsFourLayersAndFollowsTheBreakerThroughAFault() throws Exception {
        assumeTrue(Browser.installed(), "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
        try (EchoServer echo = new EchoServer();
             ChaosProxy proxy = ChaosProxy.builder("payments", echo.address()).events(EventBus.detached()).start();
             Pool<Socket> pool = Pool.open(PoolConfig.builder("payments").maxSize(4).acquisitionTimeout(Duration.ofSeconds(1))
                     .events(EventBus.detached()).build(), sockets(proxy.listenAddress()));
             Strata strata = Strata.builder().events(EventBus.detached())
                     .dependency("payments", d -> d.timeout(Duration.ofMillis(250)).noRetry().noDeadline()
                             .breaker(b -> b.mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(3)
                                     .openWait(Duration.ofSeconds(1)).openWaitJitter(0)))
                     .build().start()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (StrataMetrics metrics = new StrataMetrics(registry).bind(strata).bind(pool);
                 DashboardFeed feed = DashboardFeed.start(registry, () -> Map.of("config", "in-test runtime"), List::of);
                 Dashboard.Server server = Dashboard.serve(feed, 0);
                 Traffic traffic = new Traffic(() -> strata.dependency("payments").execute(() -> pool.call(DashboardPageTest::roundTrip)));
                 Browser browser = Browser.open(1280, 1100)) {
                assertThat(metrics.registry()).isSameAs(registry);
                HttpResponse<String> sample = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(java.net.URI.create(server.url() + "/sample")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(sample.statusCode()).isEqualTo(200);

                browser.driver.get(server.url());
                WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(10), Duration.ofMillis(100));
                for (String layer : List.of("L1", "L2", "L3", "L4")) {
                    wait.until(d -> "true".equals(d.findElement(By.id("panel-" + layer)).getAttribute("data-has-data")));
                }
                wait.until(d -> "CLOSED".equals(breakerCell(browser)));
                wait.until(d -> "live".equals(d.findElement(By.id("conn")).getAttribute("data-state")));
                assertThat(browser.consoleErrors()).isEmpty();

                proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1000, 0).named("slow"));
                new WebDriverWait(browser.driver, Duration.ofSeconds(5), Duration.ofMillis(50))
                        .until(d -> "OPEN".equals(breakerCell(browser)));
                assertThat(browser.driver.findElement(By.id("panel-L3")).getAttribute("data-status")).isEqualTo("broken");
                browser.screenshot(Path.of("target", "dashboard-under-fault.png"));

                proxy.removeToxic("slow");
                new WebDriverWait(browser.driver, Duration.ofSeconds(20), Duration.ofMillis(100))
                        .until(d -> "CLOSED".equals(breakerCell(browser))
                                && "healthy".equals(d.findElement(By.id("panel-L3")).getAttribute("data-status")));
                browser.screenshot(Path.of("target", "dashboard-recovered.png"));
                assertThat(browser.consoleErrors()).isEmpty();
                assertThat(traffic.calls()).isPositive();
            }
        }
    }

    private static String breakerCell(Browser browser) {
        // The table is rebuilt with every sample: read it in one script call, never through a stale element.
        return (String) browser.driver.executeScript(
                "var c = document.querySelector(\"td[data-breaker='payments']\"); return c ? c.textContent : null;");
    }

    private static String roundTrip(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        if (line == null) {
            throw new java.io.EOFException("connection closed");
        }
        return line;
    }

    private static ResourceFactory<Socket> sockets(InetSocketAddress address) {
        return new ResourceFactory<>() {
            @Override
            public Socket create() throws IOException {
                Socket s = new Socket();
                s.connect(address, 1000);
                return s;
            }

            @Override
            public boolean validate(Socket resource, Duration timeout) {
                return resource.isConnected() && !resource.isClosed();
            }

            @Override
            public void close(Socket resource) {
                try {
                    resource.close();
                } catch (IOException ignored) {
                    // closing our own socket
                }
            }
        };
    }

    /** Calls {@code call} every 20 ms on a virtual thread until closed, swallowing its failures: the meters count them. */
    static final class Traffic implements AutoCloseable {
        private final Thread thread;
        private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        private volatile boolean running = true;

        Traffic(java.util.concurrent.Callable<?> call) {
            thread = Thread.ofVirtual().name("dashboard-traffic").start(() -> {
                while (running) {
                    try {
                        call.call();
                    } catch (Exception expected) {
                        // timeouts and refusals are what the dashboard is there to show
                    }
                    calls.incrementAndGet();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        long calls() {
            return calls.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(5000);
        }
    }

    /** Answers each line with the same line, one virtual thread per connection. */
    static final class EchoServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread acceptor;
        private final java.util.Set<Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

        EchoServer() throws IOException {
            acceptor = Thread.ofVirtual().name("echo-accept").start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        open.add(s);
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket s) {
            try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
                OutputStream out = s.getOutputStream();
                for (String line; (line = in.readLine()) != null; ) {
                    out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException gone) {
                // the client went away
            } finally {
                open.remove(s);
            }
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : open) {
                s.close();
            }
            acceptor.join(5000);
        }
    }
}
