package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.http.ScriptedServer.Reply;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AttemptTimeoutException;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.DeadlineExceededException;
import dev.strata.resilience.Hedge;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.RetriesExhaustedException;
import dev.strata.resilience.Retry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StrataHttpClientTest {

    private final EventBus quiet = EventBus.detached();
    private ScriptedServer server;
    private StrataHttpClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Pipeline retrying(int attempts) {
        return Pipeline.builder("shop-api")
                .retry(Retry.builder().maxAttempts(attempts).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                .events(quiet)
                .build();
    }

    private StrataHttpClient client(Pipeline pipeline) {
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(pipeline).build();
        return client;
    }

    @Test
    void getSucceedsAndTheResponseCarriesItsLayerTrace() throws Exception {
        server = new ScriptedServer(Reply.of(200, "hello"));
        StrataHttpResponse<String> response = client(retrying(3)).send(client.request("/greet").GET().build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello");
        assertThat(response.attempts()).isEqualTo(1);
        assertThat(response.idempotencyKey()).isEmpty();
        assertThat(response.trace().spans()).extracting(s -> s.layer() + " " + s.phase() + " " + s.outcome())
                .containsExactly("REMOTE http GET 200", "RESILIENCE attempt ok");
        assertThat(server.seen.get(0).idempotencyKey()).isNull();
    }

    @Test
    void a503WithRetryAfterSecondsIsRetriedNoEarlierThanTheServerAsked() throws Exception {
        server = new ScriptedServer(Reply.of(503).header("Retry-After", "1"), Reply.of(200, "ok"));
        StrataHttpResponse<String> response = client(retrying(3)).send(client.request("/x").build(), BodyHandlers.ofString());

        assertThat(response.body()).isEqualTo("ok");
        assertThat(response.attempts()).isEqualTo(2);
        long gap = server.seen.get(1).atNanos() - server.seen.get(0).atNanos();
        assertThat(Duration.ofNanos(gap)).isGreaterThanOrEqualTo(Duration.ofMillis(950)); // backoff was 1ms: the hint ruled
        assertThat(response.trace().spans()).extracting(s -> s.phase() + " " + s.outcome())
                .contains("http GET 503", "attempt REMOTE/server-error (HTTP 503)", "http GET 200");
    }

    @Test
    void retryAfterAsAnHttpDateIsReadAgainstTheClientsClock() throws Exception {
        long now = Instant.parse("2026-11-26T08:00:00Z").toEpochMilli();
        Clock fixedWall = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long currentTimeMillis() {
                return now;
            }

            @Override
            public void sleep(long nanos) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        };
        String inOneSecond = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochMilli(now + 1000).atOffset(ZoneOffset.UTC));
        server = new ScriptedServer(Reply.of(429).header("Retry-After", inOneSecond), Reply.of(200, "ok"));
        client = StrataHttpClient.builder("shop-api").pipeline(retrying(2)).clock(fixedWall).build();

        StrataHttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri("/r")).build(), BodyHandlers.ofString());

        assertThat(response.attempts()).isEqualTo(2);
        long gap = server.seen.get(1).atNanos() - server.seen.get(0).atNanos();
        assertThat(Duration.ofNanos(gap)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void aRetryAfterLongerThanTheCapWaitsOnlyTheCap() throws Exception {
        server = new ScriptedServer(Reply.of(503).header("Retry-After", "3600"), Reply.of(200, "ok"));
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(2))
                .maxRetryAfter(Duration.ofMillis(300)).build();

        long start = System.nanoTime();
        StrataHttpResponse<String> response = client.send(client.request("/").build(), BodyHandlers.ofString());

        assertThat(response.attempts()).isEqualTo(2);
        long gap = server.seen.get(1).atNanos() - server.seen.get(0).atNanos();
        assertThat(Duration.ofNanos(gap)).isGreaterThanOrEqualTo(Duration.ofMillis(280)).isLessThan(Duration.ofMinutes(1));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(1)); // not the hour asked for
    }

    @Test
    void aRetryAfterBeyondTheDeadlineEndsTheCallAtOnceInsteadOfWaiting() throws Exception {
        server = new ScriptedServer(Reply.of(503).header("Retry-After", "20"));
        Pipeline pipeline = Pipeline.builder("shop-api").deadline(Duration.ofSeconds(2))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                .events(quiet).build();
        client(pipeline);

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(client.request("/").build(), BodyHandlers.ofString()))
                .isInstanceOf(DeadlineExceededException.class)
                .hasCauseInstanceOf(HttpResponseException.class);
        assertThat(server.requests()).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void a400IsNeverRetriedAndKeepsTheStartOfItsBody() throws Exception {
        server = new ScriptedServer(Reply.of(400, "{\"error\":\"quantity must be positive\"}"));
        client(retrying(5));

        assertThatThrownBy(() -> client.send(client.request("/orders").GET().build(), BodyHandlers.ofString()))
                .isInstanceOfSatisfying(HttpResponseException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.bodySnippet()).contains("quantity must be positive");
                    assertThat(FaultClassifier.DEFAULT.classify(e).kind()).isEqualTo(FaultKind.CLIENT_ERROR);
                });
        assertThat(server.requests()).isEqualTo(1);
    }

    @Test
    void aPostIsRetriedWithOneKeySentOnEveryAttempt() throws Exception {
        server = new ScriptedServer(Reply.of(503), Reply.of(502), Reply.of(201, "created"));
        client(retrying(3));

        StrataHttpResponse<String> response = client.send(client.request("/charges")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1999}")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(server.seen).hasSize(3);
        String key = server.seen.get(0).idempotencyKey();
        assertThat(key).matches("\"[0-9a-f-]{36}\""); // a structured-field string, as the draft defines it
        assertThat(server.seen).extracting(ScriptedServer.Seen::idempotencyKey).containsOnly(key);
        assertThat(response.idempotencyKey()).contains(key.substring(1, key.length() - 1));
    }

    @Test
    void twoLogicalPostsGetTwoKeys() throws Exception {
        server = new ScriptedServer(Reply.of(200));
        client(retrying(3));
        client.send(client.request("/charges").POST(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        client.send(client.request("/charges").POST(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        assertThat(server.seen.get(0).idempotencyKey()).isNotEqualTo(server.seen.get(1).idempotencyKey());
    }

    @Test
    void aPostWithoutAKeyIsAttemptedOnce() throws Exception {
        server = new ScriptedServer(Reply.of(503));
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(3)).idempotencyKeys(false).build();

        assertThatThrownBy(() -> client.send(client.request("/charges").POST(HttpRequest.BodyPublishers.noBody()).build(),
                BodyHandlers.discarding()))
                .isInstanceOfSatisfying(HttpResponseException.class, e -> assertThat(e.status()).isEqualTo(503));
        assertThat(server.seen).hasSize(1);
        assertThat(server.seen.get(0).idempotencyKey()).isNull();
    }

    @Test
    void aPostCarryingItsOwnKeyKeepsItOnEveryAttempt() throws Exception {
        server = new ScriptedServer(Reply.of(500), Reply.of(200));
        client(retrying(3));

        client.send(client.request("/charges").header("Idempotency-Key", "\"order-42\"")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());

        assertThat(server.seen).extracting(ScriptedServer.Seen::idempotencyKey).containsExactly("\"order-42\"", "\"order-42\"");
    }

    @Test
    void aCallersContextDecidesAndKeepsTheTraceWhenTheCallFails() throws Exception {
        server = new ScriptedServer(Reply.of(500));
        client(retrying(2));
        CallContext context = CallContext.nonIdempotent("shop-api", "refund-7");

        assertThatThrownBy(() -> client.send(context, client.request("/refunds").POST(HttpRequest.BodyPublishers.noBody()).build(),
                BodyHandlers.discarding()))
                .isInstanceOf(RetriesExhaustedException.class);
        assertThat(server.seen).extracting(ScriptedServer.Seen::idempotencyKey).containsExactly("\"refund-7\"", "\"refund-7\"");
        assertThat(context.trace().spans()).extracting(s -> s.phase() + " " + s.outcome())
                .containsSubsequence("http POST 500", "attempt REMOTE/server-error (HTTP 500)", "backoff ok", "http POST 500");
    }

    @Test
    void aSlowServerIsCutAtTheAttemptTimeout() throws Exception {
        server = new ScriptedServer(Reply.of(200, "late").delayed(5_000));
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(2))
                .attemptTimeout(Duration.ofMillis(200)).build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(client.request("/slow").build(), BodyHandlers.ofString()))
                .isInstanceOfSatisfying(RetriesExhaustedException.class, e ->
                        assertThat(FaultClassifier.DEFAULT.classify(e.getCause()).kind())
                                .isIn(FaultKind.ATTEMPT_TIMEOUT, FaultKind.READ_TIMEOUT));
        long took = System.nanoTime() - start;
        assertThat(server.requests()).isEqualTo(2);
        assertThat(Duration.ofNanos(took)).isGreaterThanOrEqualTo(Duration.ofMillis(400)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aStricterTimeoutOnTheCallersOwnRequestIsKept() throws Exception {
        server = new ScriptedServer(Reply.of(200, "late").delayed(3_000));
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(1))
                .attemptTimeout(Duration.ofSeconds(10)).build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(client.request("/slow").timeout(Duration.ofMillis(150)).build(), BodyHandlers.ofString()))
                .satisfies(e -> assertThat(FaultClassifier.DEFAULT.classify(e).kind()).isEqualTo(FaultKind.READ_TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aSlowServerIsCutAtTheDeadlineWhenLessIsLeftThanTheAttemptTimeout() throws Exception {
        server = new ScriptedServer(Reply.of(200, "late").delayed(5_000));
        Pipeline pipeline = Pipeline.builder("shop-api").deadline(Duration.ofMillis(500))
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(1))).jitter(Jitter.NONE).build())
                .events(quiet).build();
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(pipeline)
                .attemptTimeout(Duration.ofSeconds(10)).build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> client.send(client.request("/slow").build(), BodyHandlers.ofString()))
                .isInstanceOf(DeadlineExceededException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(450))
                .isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void latencyAddedByAChaosProxyIsCutAtTheAttemptTimeoutAndTheRetryGetsThrough() throws Exception {
        server = new ScriptedServer(Reply.of(200, "ok"));
        try (ChaosProxy proxy = ChaosProxy.start("api", new InetSocketAddress("127.0.0.1", server.port()))) {
            Toxic slow = proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 3_000, 0));
            client = StrataHttpClient.builder("shop-api").pipeline(retrying(3)).attemptTimeout(Duration.ofMillis(300)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/x")).build();

            CompletableFuture<StrataHttpResponse<String>> call = CompletableFuture.supplyAsync(
                    () -> client.send(request, BodyHandlers.ofString()));
            Thread.sleep(100); // inside the first attempt
            proxy.removeToxic(slow.name());
            StrataHttpResponse<String> response = call.get(10, TimeUnit.SECONDS);

            assertThat(response.body()).isEqualTo("ok");
            assertThat(response.attempts()).isGreaterThanOrEqualTo(2);
            assertThat(response.trace().spans().get(0).outcome()).isIn("RESILIENCE/attempt-timeout (after 300ms)",
                    "NETWORK/read-timeout");
        }
    }

    @Test
    void aConnectionResetMidBodyIsANetworkFault() throws Exception {
        server = new ScriptedServer(Reply.of(200, "x".repeat(200_000)));
        try (ChaosProxy proxy = ChaosProxy.start("api", new InetSocketAddress("127.0.0.1", server.port()))) {
            proxy.addToxic(Toxic.limitData(Direction.DOWNSTREAM, 20_000)); // headers and part of the body, then closed
            client = StrataHttpClient.builder("shop-api").pipeline(Pipeline.builder("shop-api").events(quiet).build()).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/big")).build();

            assertThatThrownBy(() -> client.send(request, BodyHandlers.ofString()))
                    .satisfies(e -> assertThat(FaultClassifier.DEFAULT.classify(e).layer()).isEqualTo(Layer.NETWORK));
        }
    }

    @Test
    void sendAsyncRetriesWithoutBlockingAndKeepsTheKey() throws Exception {
        server = new ScriptedServer(Reply.of(503).header("Retry-After", "0"), Reply.of(200, "async ok"));
        client(retrying(3));

        StrataHttpResponse<String> response = client.sendAsync(client.request("/a")
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);

        assertThat(response.body()).isEqualTo("async ok");
        assertThat(response.attempts()).isEqualTo(2);
        assertThat(server.seen).extracting(ScriptedServer.Seen::idempotencyKey).doesNotContainNull().hasSize(2)
                .containsOnly(server.seen.get(0).idempotencyKey());
    }

    @Test
    void sendAsyncIsCutAtTheAttemptTimeoutAndA400IsNotRetried() throws Exception {
        server = new ScriptedServer(Reply.of(200).delayed(5_000));
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(1))
                .attemptTimeout(Duration.ofMillis(200)).build();
        CompletableFuture<StrataHttpResponse<String>> slow = client.sendAsync(client.request("/").build(), BodyHandlers.ofString());
        assertThatThrownBy(() -> slow.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(AttemptTimeoutException.class);

        server.script(Reply.of(404));
        client.close();
        client(retrying(3));
        CompletableFuture<StrataHttpResponse<String>> missing = client.sendAsync(client.request("/gone").build(), BodyHandlers.ofString());
        assertThatThrownBy(() -> missing.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(HttpResponseException.class);
        assertThat(server.seen.stream().filter(s -> s.path().equals("/gone")).count()).isEqualTo(1);
    }

    @Test
    void readsAreHedgedThroughTheReadPipelineAndPostsAreNot() throws Exception {
        server = new ScriptedServer(Reply.of(200, "slow").delayed(2_000), Reply.of(200, "fast"));
        Pipeline reads = Pipeline.builder("shop-api").hedge(Hedge.of(Duration.ofMillis(100), 1)).events(quiet).build();
        client = StrataHttpClient.builder("shop-api").baseUri(server.uri("/")).pipeline(retrying(1)).readPipeline(reads).build();

        StrataHttpResponse<String> read = client.send(client.request("/item").build(), BodyHandlers.ofString());
        assertThat(read.body()).isEqualTo("fast");
        assertThat(server.requests()).isEqualTo(2);

        server.script(Reply.of(200, "slow post").delayed(500));
        StrataHttpResponse<String> post = client.send(client.request("/item").POST(HttpRequest.BodyPublishers.noBody()).build(),
                BodyHandlers.ofString());
        assertThat(post.body()).isEqualTo("slow post");
        assertThat(server.seen.stream().filter(s -> s.method().equals("POST")).count()).isEqualTo(1);
    }

    @Test
    void anAttemptInsideTheCallersOwnPipelineSendsThatCallsKeyAndRecordsIntoItsTrace() throws Exception {
        server = new ScriptedServer(Reply.of(503), Reply.of(200, "charged"));
        client = StrataHttpClient.builder("payments").baseUri(server.uri("/")).build();
        Pipeline own = retrying(3);
        CallContext charge = CallContext.nonIdempotent("payments", "order-9");

        String body = own.execute(charge, () -> client.attempt(client.request("/charges")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString()).body());

        assertThat(body).isEqualTo("charged");
        assertThat(server.seen).extracting(ScriptedServer.Seen::idempotencyKey).containsExactly("\"order-9\"", "\"order-9\"");
        assertThat(charge.trace().spans()).extracting(s -> s.phase() + " " + s.outcome())
                .containsExactly("http POST 503", "attempt REMOTE/server-error (HTTP 503)", "backoff ok", "http POST 200",
                        "attempt ok");
        // outside any call: no key is made up for a single attempt
        client.attempt(client.request("/charges").POST(HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        assertThat(server.seen.get(2).idempotencyKey()).isNull();
    }

    @Test
    void badConfigurationNamesTheField() throws Exception {
        assertThatThrownBy(() -> StrataHttpClient.builder("x").baseUri("ftp://example.com"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("baseUri: 'ftp://example.com'");
        assertThatThrownBy(() -> StrataHttpClient.builder("x").attemptTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("attemptTimeout:");
        assertThatThrownBy(() -> StrataHttpClient.builder("x").httpClient(java.net.http.HttpClient.newHttpClient()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("httpClient: has no connectTimeout");
        assertThatThrownBy(() -> StrataHttpClient.builder(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("dependency:");
    }

    @Test
    void keysAreStructuredFieldStrings() throws Exception {
        assertThat(StrataHttpClient.quoted("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(StrataHttpClient.unquoted("\"a\\\"b\\\\c\"")).isEqualTo("a\"b\\c");
        assertThat(StrataHttpClient.unquoted("bare-token")).isEqualTo("bare-token");
        assertThat(List.of(StrataHttpClient.unquoted("\"\""))).containsExactly("");
    }
}
