package dev.strata.cli.demo;

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
 * HTTP 503 can be changed while it runs; every request is counted in an {@link ArrivalMeter} under
 * the variant named in the {@value #VARIANT_HEADER} header, so the demo can show how much load each
 * variant sends to a struggling service.
 *
 * <p>Each exchange runs on its own virtual thread, so a slow answer holds no platform thread and
 * the service itself never becomes the bottleneck the demo is about.
 */
final class Downstream implements AutoCloseable {

    static final String VARIANT_HEADER = "X-Demo-Variant";

    private final String name;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final ArrivalMeter meter;
    private volatile long latencyNanos;
    private volatile boolean failing;

    private Downstream(String name, Duration latency, ArrivalMeter meter) throws IOException {
        this.name = name;
        this.meter = meter;
        this.latencyNanos = latency.toNanos();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a service answering after {@code latency}. */
    static Downstream start(String name, Duration latency, ArrivalMeter meter) {
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

    String name() {
        return name;
    }

    /** The port the service listens on, on 127.0.0.1. */
    int port() {
        return server.getAddress().getPort();
    }

    /** Changes how long the service takes to answer, from the next request on. */
    void latency(Duration latency) {
        this.latencyNanos = latency.toNanos();
    }

    Duration latency() {
        return Duration.ofNanos(latencyNanos);
    }

    /** Makes the service answer HTTP 503 (true) or 200 (false), from the next answer on. */
    void failing(boolean failing) {
        this.failing = failing;
    }

    boolean failing() {
        return failing;
    }

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
