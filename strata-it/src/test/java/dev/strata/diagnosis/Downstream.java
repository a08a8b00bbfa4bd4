package dev.strata.diagnosis;

import com.sun.net.httpserver.HttpServer;
import dev.strata.fault.HttpStatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/**
 * A real HTTP dependency on 127.0.0.1 whose behaviour per request is decided by the test: the
 * status it answers with and how long it takes, from the request's sequence number.
 */
final class Downstream implements AutoCloseable {

    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicLong requests = new AtomicLong();

    /**
     * @param status status for the n-th request (0-based)
     * @param delayMillis milliseconds the n-th request takes
     */
    Downstream(LongUnaryOperator status, LongUnaryOperator delayMillis) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            long n = requests.getAndIncrement();
            try {
                Thread.sleep(delayMillis.applyAsLong(n));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "ok".getBytes();
            exchange.sendResponseHeaders((int) status.applyAsLong(n), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    /** The port it listens on, on 127.0.0.1. */
    int port() {
        return server.getAddress().getPort();
    }

    long requests() {
        return requests.get();
    }

    /** One GET; a 5xx becomes the {@link HttpStatusException} Strata classifies as REMOTE. */
    String get() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.getAddress().getPort() + "/")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
            throw new HttpStatusException(r.statusCode());
        }
        return r.body();
    }

    @Override
    public void close() {
        server.stop(0);
        client.close();
    }
}
