package dev.strata.shop;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One simulated downstream HTTP service (payments, inventory, recommendations) on the JDK's
 * {@link HttpServer}, bound to 127.0.0.1 on a free port. Its latency and whether it fails with
 * HTTP 503 can be changed while it runs; every request is reported to an {@link Arrivals} listener
 * with the variant named in the {@value #VARIANT_HEADER} header, so the demo can show how much load
 * each variant sends to a struggling service.
 *
 * <p>Each exchange runs on its own virtual thread, so a slow answer holds no platform thread and
 * the service itself never becomes the bottleneck the demo is about.
 */
public final class Downstream implements AutoCloseable {

    /** The request header naming the caller (the demo's variant, or {@code shop}). */
    public static final String VARIANT_HEADER = "X-Demo-Variant";

    /** Told about every request a downstream receives, before it answers. */
    @FunctionalInterface
    public interface Arrivals {
        /** Ignores every arrival. */
        Arrivals NONE = (service, variant, nowNanos) -> { };

        /**
         * One request arrived.
         *
         * @param service the downstream's name
         * @param variant the caller named in the request's header, {@code unknown} without one
         * @param nowNanos {@link System#nanoTime()} at arrival
         */
        void record(String service, String variant, long nowNanos);
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final Arrivals meter;
    private volatile long latencyNanos;
    private volatile boolean failing;

    private Downstream(String name, Duration latency, Arrivals meter) throws IOException {
        this.name = name;
        this.meter = meter;
        this.latencyNanos = latency.toNanos();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts a service on a free port of 127.0.0.1 answering after {@code latency}.
     *
     * @throws IllegalStateException when no server socket could be opened
     */
    public static Downstream start(String name, Duration latency, Arrivals meter) {
        try {
            return new Downstream(name, latency, meter);
        } catch (IOException e) {
            throw new IllegalStateException("could not start downstream " + name, e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            body.readAllBytes();
            String variant = exchange.getRequestHeaders().getFirst(VARIANT_HEADER);
            meter.record(name, variant == null ? "unknown" : variant, System.nanoTime());
            long latency = latencyNanos;
            if (latency > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(latency);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // server stopping
                }
            }
            boolean fail = failing;
            byte[] answer = (fail ? "{\"error\":\"" + name + " unavailable\"}" : "{\"service\":\"" + name + "\",\"ok\":true}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(fail ? 503 : 200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    /** The service's name, e.g. {@code payments}. */
    public String name() {
        return name;
    }

    /** The port the service listens on, on 127.0.0.1. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Changes how long the service takes to answer, from the next request on. */
    public void latency(Duration latency) {
        this.latencyNanos = latency.toNanos();
    }

    /** How long the service takes to answer now. */
    public Duration latency() {
        return Duration.ofNanos(latencyNanos);
    }

    /** Makes the service answer HTTP 503 (true) or 200 (false), from the next answer on. */
    public void failing(boolean failing) {
        this.failing = failing;
    }

    /** Whether the service answers HTTP 503 now. */
    public boolean failing() {
        return failing;
    }

    /** Stops the server and its handler threads; waits at most 5 s for handlers to end. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
