package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.http.ScriptedServer.Reply;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

/**
 * With a pipeline timeout, an exchange of {@link StrataHttpClient#send} runs on the caller's thread
 * (the exchange keeps the bound itself, so no attempt thread is needed) and the bound is still the
 * pipeline's: it fires, is reported as the pipeline's timeout, and the retry gets through.
 */
class HttpAttemptOnCallerThreadTest {

    /** Passes everything to a real client and remembers which threads sent. */
    static final class RecordingClient extends HttpClient {
        final HttpClient real;
        final List<Thread> senders = new CopyOnWriteArrayList<>();

        RecordingClient(HttpClient real) {
            this.real = real;
        }

        @Override public Optional<CookieHandler> cookieHandler() { return real.cookieHandler(); }
        @Override public Optional<Duration> connectTimeout() { return real.connectTimeout(); }
        @Override public Redirect followRedirects() { return real.followRedirects(); }
        @Override public Optional<ProxySelector> proxy() { return real.proxy(); }
        @Override public SSLContext sslContext() { return real.sslContext(); }
        @Override public SSLParameters sslParameters() { return real.sslParameters(); }
        @Override public Optional<Authenticator> authenticator() { return real.authenticator(); }
        @Override public Version version() { return real.version(); }
        @Override public Optional<Executor> executor() { return real.executor(); }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws IOException, InterruptedException {
            senders.add(Thread.currentThread());
            return real.send(request, handler);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            senders.add(Thread.currentThread());
            return real.sendAsync(request, handler);
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                                HttpResponse.PushPromiseHandler<T> push) {
            senders.add(Thread.currentThread());
            return real.sendAsync(request, handler, push);
        }
    }

    @Test
    void theExchangeRunsOnTheCallersThreadAndThePipelinesTimeoutStillFires() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.create();
        bus.subscribe(e -> events.add(e.logLine()));
        Pipeline pipeline = Pipeline.builder("shop-api").timeout(Duration.ofMillis(200))
                .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                .events(bus).build();
        try (ScriptedServer server = new ScriptedServer(Reply.of(200, "late").delayed(5_000), Reply.of(200, "ok"));
             HttpClient jdk = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
             StrataHttpClient client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(pipeline)
                     .httpClient(new RecordingClient(jdk)).attemptTimeout(Duration.ofMillis(200)).build()) {
            RecordingClient recording = (RecordingClient) client.http;
            long start = System.nanoTime();
            StrataHttpResponse<String> response = client.send(client.request("/slow").build(), BodyHandlers.ofString());

            assertThat(response.body()).isEqualTo("ok");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200))
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(recording.senders).hasSize(2).containsOnly(Thread.currentThread());
            assertThat(events).contains("INFO [shop-api] attempt 1/2 timed out after its 200ms timeout; interrupted");
            assertThat(pipeline.inFlightAttempts()).isZero();
        }
    }
}
