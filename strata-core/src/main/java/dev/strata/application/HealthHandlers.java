package dev.strata.application;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Serves a {@link Strata} runtime's {@link Health} as Kubernetes probes expect, on the JDK's own
 * {@link HttpServer} (no added dependency):
 * <ul>
 *   <li>{@code GET /health/live}: 200 {@code {"status":"UP"}} or 503 with the reasons;</li>
 *   <li>{@code GET /health/ready}: 200 or 503 ({@code STARTING}, {@code DRAINING}, {@code DOWN});</li>
 *   <li>{@code GET /health/dependencies}: 200 with every dependency's breaker, pool, bulkhead and
 *       last fault; informational, so always 200.</li>
 * </ul>
 * {@link #admission(Strata)} adds the other half of graceful shutdown to the same server: every
 * request is counted as in-flight work, and once the runtime refuses new work a request gets 503
 * with {@code Connection: close} and {@code Retry-After}.
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
 * HealthHandlers.mount(server, strata);                                   // /health/*
 * server.createContext("/checkout", handler).getFilters().add(HealthHandlers.admission(strata));
 * }</pre>
 */
public final class HealthHandlers {

    /** The path prefix the probes are mounted under. */
    public static final String PREFIX = "/health";

    private HealthHandlers() {
    }

    /** Mounts the three probes under {@code /health} on {@code server}. */
    public static void mount(HttpServer server, Strata strata) {
        Objects.requireNonNull(server, "server").createContext(PREFIX, handler(strata));
    }

    /** One handler answering {@code /health/live}, {@code /health/ready} and {@code /health/dependencies}. */
    public static HttpHandler handler(Strata strata) {
        Health health = Objects.requireNonNull(strata, "strata").health();
        return exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(exchange, 405, "{\"error\":\"method not allowed\"}");
                    return;
                }
                String path = exchange.getRequestURI().getPath();
                switch (path) {
                    case PREFIX + "/live" -> probe(exchange, health.live());
                    case PREFIX + "/ready" -> probe(exchange, health.ready());
                    case PREFIX + "/dependencies" -> send(exchange, 200, health.dependenciesJson());
                    default -> send(exchange, 404, "{\"error\":\"not found\",\"paths\":[\"" + PREFIX + "/live\",\""
                            + PREFIX + "/ready\",\"" + PREFIX + "/dependencies\"]}");
                }
            }
        };
    }

    /**
     * A filter that admits each request as in-flight work of {@code strata}, and answers 503
     * {@code {"status":"DRAINING"}} with {@code Connection: close} once the runtime refuses new work.
     */
    public static Filter admission(Strata strata) {
        Objects.requireNonNull(strata, "strata");
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                Strata.Admission admission;
                try {
                    admission = strata.admit();
                } catch (ShuttingDownException refused) {
                    try (exchange) {
                        exchange.getResponseHeaders().set("Connection", "close");
                        exchange.getResponseHeaders().set("Retry-After", "1");
                        send(exchange, 503, "{\"status\":\"DRAINING\",\"error\":\"shutting down; retry on another instance\"}");
                    }
                    return;
                }
                try (admission) {
                    chain.doFilter(exchange);
                }
            }

            @Override
            public String description() {
                return "Strata admission: counts in-flight requests, 503 while shutting down";
            }
        };
    }

    private static void probe(HttpExchange exchange, Health.Probe probe) throws IOException {
        send(exchange, probe.up() ? 200 : 503, probe.toJson());
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
