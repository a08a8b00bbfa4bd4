package dev.strata.shop;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strata.application.ShuttingDownException;
import dev.strata.application.Strata;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The shop's HTTP server: the JDK's {@link HttpServer} on one address, each exchange on its own
 * virtual thread, every request dispatched through the {@link Routes} table.
 *
 * <p>Every request is admitted as in-flight work of the {@link Strata} runtime, so its graceful
 * shutdown waits for it; once the runtime refuses new work, a request is answered {@code 503} with
 * {@code Connection: close} and {@code Retry-After} (clients and load balancers go elsewhere).
 * Requests under the always-served prefixes (the health probes, which must keep answering "not
 * ready" while the shop drains) are not admitted and never refused.
 */
final class ShopServer implements AutoCloseable {

    private static final int MAX_BODY = 1 << 20;

    private final HttpServer http;
    private final ExecutorService handlers;
    private final Routes routes;
    private final List<String> servedWhileDraining;
    private final Strata strata;

    /**
     * Binds (not yet serving).
     *
     * @param servedWhileDraining path prefixes still served while draining, e.g. {@code /health/}
     * @throws UncheckedIOException when the address is in use
     */
    ShopServer(InetSocketAddress address, Routes routes, Strata strata, List<String> servedWhileDraining) {
        this.routes = routes;
        this.strata = strata;
        this.servedWhileDraining = List.copyOf(servedWhileDraining);
        try {
            this.http = HttpServer.create(address, 256);
        } catch (IOException e) {
            throw new UncheckedIOException("shop: cannot listen on " + address.getHostString() + ":" + address.getPort()
                    + ": " + e.getMessage(), e);
        }
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
    }

    /** Freezes the routes and starts serving. */
    void start() {
        routes.freeze();
        http.start();
    }

    /** The bound address, with the real port. */
    InetSocketAddress address() {
        return http.getAddress();
    }

    /** {@code http://127.0.0.1:PORT}. */
    URI uri() {
        return URI.create("http://" + address().getHostString() + ":" + address().getPort());
    }

    private void handle(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        Strata.Admission admission = null;
        try (exchange) {
            if (servedWhileDraining.stream().noneMatch(path::startsWith)) {
                try {
                    admission = strata.admit();
                } catch (ShuttingDownException refused) {
                    drain(exchange);
                    send(exchange, method, Response.error(503, "shutting down: this instance takes no new requests")
                            .withHeader("Retry-After", "1").withHeader("Connection", "close"));
                    return;
                }
            }
            Routes.Match match = routes.match(method, path);
            switch (match) {
                case Routes.NotFound ignored -> {
                    drain(exchange);
                    send(exchange, method, Response.error(404, "no route for " + path));
                }
                case Routes.WrongMethod wrong -> {
                    drain(exchange);
                    send(exchange, method, Response.error(405, method + " is not allowed on " + path + "; allowed "
                            + wrong.allowed()).withHeader("Allow", String.join(", ", wrong.allowed())));
                }
                case Routes.Found found when found.entry().raw() != null -> found.entry().raw().handle(exchange);
                case Routes.Found found -> send(exchange, method, answer(found, read(exchange, method, path)));
            }
        } catch (Exception | Error e) {
            // The exchange is closed by now; the client sees a closed connection. Nothing else to do.
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            if (admission != null) {
                admission.close();
            }
        }
    }

    private static Response answer(Routes.Found found, Request request) {
        try {
            return found.chain().handle(request);
        } catch (IllegalArgumentException bad) {
            return Response.error(400, String.valueOf(bad.getMessage()));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Fault root = ShopService.rootFault(FaultClassifier.DEFAULT, e);
            return Response.json(500, Response.jsonText(Map.of("error", String.valueOf(e.getMessage()), "status", 500,
                    "fault", root.kind().qualifiedName())));
        }
    }

    private static Request read(HttpExchange exchange, String method, String path) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY);
        }
        Map<String, List<String>> headers = exchange.getRequestHeaders().entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().toLowerCase(Locale.ROOT), e -> List.copyOf(e.getValue()),
                        (a, b) -> a));
        return new Request(method, path, Request.parseQuery(exchange.getRequestURI().getRawQuery()), headers, body,
                exchange.getRemoteAddress());
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.skip(MAX_BODY);
        }
    }

    private static void send(HttpExchange exchange, String method, Response response) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", response.contentType());
        response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        boolean head = method.equals("HEAD");
        exchange.sendResponseHeaders(response.status(), head || response.body().length == 0 ? -1 : response.body().length);
        if (!head && response.body().length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }

    /** Stops listening and closes every connection; the runtime calls it once in-flight requests finished. Bounded. */
    @Override
    public void close() {
        http.stop(0);
        handlers.shutdownNow();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
