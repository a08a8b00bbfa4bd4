package dev.strata.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Item 4: a browser that stops reading must not pin a server thread and a connection. A raw
 * socket with a small receive buffer asks for the stream and never reads: once its queue is full
 * the feed drops it and releases the thread blocked in the socket write, which closes the connection.
 */
class DashboardSlowReaderTest {

    @Test
    void aTabThatStopsReadingReleasesItsThreadAndConnection() throws Exception {
        ThreadPoolExecutor handlers = new ThreadPoolExecutor(2, 2, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        try (DashboardFeed feed = DashboardFeed.start(new SimpleMeterRegistry(), Map::of, List::of, Duration.ofSeconds(60))) {
            Dashboard dashboard = new Dashboard(feed);
            server.createContext(Dashboard.PATH, dashboard::handle);
            server.start();
            try (Socket tab = new Socket()) {
                tab.setReceiveBufferSize(4096);
                tab.connect(server.getAddress(), 5_000);
                OutputStream out = tab.getOutputStream();
                out.write(("GET " + Dashboard.PATH + "/events HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (feed.clients() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(handlers.getActiveCount()).as("the stream is being served").isEqualTo(1);
                // samples keep coming and the tab reads nothing: buffers fill, the writer blocks, the queue fills
                int samples = 0;
                while ((feed.clients() > 0 || handlers.getActiveCount() > 0) && System.nanoTime() < deadline) {
                    feed.sampleNow();
                    samples++;
                    Thread.sleep(1);
                }
                assertThat(feed.clients()).as("dropped after %d samples", samples).isZero();
                assertThat(handlers.getActiveCount()).as("the handler thread was released (after %d samples)", samples).isZero();

                // what the server wrote before it gave up is still queued in its send buffer (megabytes);
                // through a 4 KiB window it would trickle for minutes before the close reaches us
                tab.setReceiveBufferSize(1 << 20);
                tab.setSoTimeout(10_000);
                InputStream in = tab.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                boolean closed = false;
                try {
                    while (System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(10)) {
                        if (in.read(buffer) < 0) {
                            closed = true;
                            break;
                        }
                    }
                } catch (SocketTimeoutException stillOpen) {
                    closed = false;
                } catch (java.io.IOException reset) {
                    closed = true; // the server closed the connection with data unread: a reset is fine
                }
                assertThat(closed).as("the server closed the connection").isTrue();
            }
        } finally {
            server.stop(0);
            handlers.shutdownNow();
            assertThat(handlers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
