package dev.strata.bench.http;

import com.sun.net.httpserver.HttpServer;
import dev.strata.http.StrataHttpClient;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One GET of a 2-byte body from a JDK HttpServer on 127.0.0.1, on one kept-alive connection:
 * the bare {@link HttpClient#send} (the anchor) against the same exchange through
 * {@link StrataHttpClient} with a retry and a breaker (the success path of a typical dependency),
 * and with a deadline too (the pipeline then hands each attempt to a virtual thread). Sample
 * mode, so the p50 is in the output; run with {@code -prof gc} for bytes per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HttpClientBenchmark {

    HttpServer server;
    HttpClient bare;
    StrataHttpClient strata;
    StrataHttpClient strataWithDeadline;
    HttpRequest request;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        byte[] body = "ok".getBytes();
        server.createContext("/", exchange -> {
            exchange.getRequestBody().close();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start(); // default executor: the dispatcher thread answers, no hand-off on the server side
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/item");
        request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
        bare = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        EventBus quiet = EventBus.detached();
        Pipeline typical = Pipeline.builder("bench")
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).build())
                .circuitBreaker(CircuitBreaker.builder("bench").events(quiet).build())
                .events(quiet)
                .build();
        strata = StrataHttpClient.builder("bench").pipeline(typical).attemptTimeout(Duration.ofSeconds(10)).build();
        Pipeline withDeadline = Pipeline.builder("bench-deadline")
                .deadline(Duration.ofSeconds(10))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).build())
                .circuitBreaker(CircuitBreaker.builder("bench-deadline").events(quiet).build())
                .events(quiet)
                .build();
        strataWithDeadline = StrataHttpClient.builder("bench").pipeline(withDeadline).attemptTimeout(Duration.ofSeconds(10)).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        strata.close();
        strataWithDeadline.close();
        bare.close();
        server.stop(0);
    }

    @Benchmark
    public String bareHttpClient() throws IOException, InterruptedException {
        return bare.send(request, BodyHandlers.ofString()).body();
    }

    @Benchmark
    public String strataHttpClient() {
        return strata.send(request, BodyHandlers.ofString()).body();
    }

    /** The same call as {@link #strataHttpClientWithDeadline()} through the async path, waited for. */
    @Benchmark
    public String strataAsyncJoinedWithDeadline() {
        return strataWithDeadline.sendAsync(request, BodyHandlers.ofString()).join().body();
    }

    @Benchmark
    public String strataHttpClientWithDeadline() {
        return strataWithDeadline.send(request, BodyHandlers.ofString()).body();
    }
}
