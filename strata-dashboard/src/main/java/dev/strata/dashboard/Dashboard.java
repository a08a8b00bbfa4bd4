package dev.strata.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Serves the dashboard page under {@value #PATH}: the page and its script and style from this
 * jar (no CDN: it works with no internet), {@code /events} as server-sent events carrying one
 * {@link DashboardFeed} sample a second (the history first, so the charts start full), and
 * {@code /sample} as the latest sample's JSON for tools.
 *
 * <p>Mount {@link #handle} on any {@code com.sun.net.httpserver} server (the shop mounts it on its
 * route table), or use {@link #serve} for a server of its own on 127.0.0.1.
 */
public final class Dashboard {

    /** Where the page lives. */
    public static final String PATH = "/strata/dashboard";
    /** How long a stream waits for a sample before it sends a keep-alive comment. */
    private static final long KEEPALIVE_SECONDS = 15;

    private static final Map<String, String> ASSETS = Map.of(
            "", "index.html",
            "/", "index.html",
            "/dashboard.js", "dashboard.js",
            "/dashboard.css", "dashboard.css");

    private final DashboardFeed feed;

    /** A dashboard showing {@code feed}. */
    public Dashboard(DashboardFeed feed) {
        this.feed = Objects.requireNonNull(feed, "feed");
    }

    /** The feed it shows. */
    public DashboardFeed feed() {
        return feed;
    }

    /**
     * Answers a request for {@value #PATH} or a path under it; anything else under it is 404. A
     * stream ({@code /events}) blocks the calling thread until the browser goes away or the feed
     * closes, so the server should run handlers on virtual threads.
     */
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String rest = path.startsWith(PATH) ? path.substring(PATH.length()) : null;
            if (rest == null || !("GET".equals(exchange.getRequestMethod()) || "HEAD".equals(exchange.getRequestMethod()))) {
                send(exchange, rest == null ? 404 : 405, "text/plain; charset=utf-8", "not here\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (rest.equals("/events")) {
                stream(exchange);
                return;
            }
            if (rest.equals("/sample")) {
                send(exchange, 200, "application/json", feed.latest().getBytes(StandardCharsets.UTF_8));
                return;
            }
            String asset = ASSETS.get(rest);
            if (asset == null) {
                send(exchange, 404, "text/plain; charset=utf-8", ("no " + path + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, contentType(asset), read(asset));
        }
    }

    private void stream(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        // one connection per stream, closed when it ends: a stream dropped for not reading must not
        // leave its connection open for a next request (the page reconnects on a new one anyway)
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(200, 0);
        BlockingQueue<String> queue = feed.subscribe();
        try {
            OutputStream out = exchange.getResponseBody();
            // retry: the browser reconnects by itself 2 s after the connection drops
            write(out, "retry: 2000\nevent: history\ndata: " + feed.historyJson() + "\n\n");
            long end = System.nanoTime() + FeedSubscribers.MAX_LIFETIME_NANOS;
            while (true) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return; // lifetime over: the page reconnects, a stuck stream cannot live on
                }
                String sample = queue.poll(Math.min(left, TimeUnit.SECONDS.toNanos(KEEPALIVE_SECONDS)), TimeUnit.NANOSECONDS);
                if (sample == null) {
                    write(out, ": keep-alive\n\n");
                } else if (DashboardFeed.isEnd(sample)) {
                    return;
                } else {
                    write(out, "data: " + sample + "\n\n");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException browserLeft) {
            // the browser closed the page or lost the connection: nothing to tell anyone
        } finally {
            feed.unsubscribe(queue);
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            exchange.getResponseBody().write(body);
        }
    }

    private static String contentType(String asset) {
        if (asset.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (asset.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "text/html; charset=utf-8";
    }

    private static byte[] read(String asset) {
        try (InputStream in = Dashboard.class.getResourceAsStream(asset)) {
            if (in == null) {
                throw new IllegalStateException("dashboard asset " + asset + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Serves the dashboard on a server of its own on 127.0.0.1 ({@code port} 0 picks a free one),
     * handlers on virtual threads. Close the returned server to stop it; the feed stays open.
     */
    public static Server serve(DashboardFeed feed, int port) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " is not allowed; allowed 0..65535");
        }
        Dashboard dashboard = new Dashboard(feed);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext(PATH, dashboard::handle);
        server.start();
        return new Server(server, executor);
    }

    /** A dashboard on its own server. */
    public static final class Server implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor;

        private Server(HttpServer server, ExecutorService executor) {
            this.server = server;
            this.executor = executor;
        }

        /** The page's address, e.g. {@code http://127.0.0.1:8123/strata/dashboard}. */
        public String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
        }

        /** Stops serving; open streams are cut. */
        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
