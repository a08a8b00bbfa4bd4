package dev.strata.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real pipelines, a real refused connection on 127.0.0.1, and the OpenTelemetry SDK's in-memory exporter. */
class StrataTracingTest {

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private OpenTelemetrySdk otel;
    private Tracer userTracer;
    private StrataTracing tracing;

    @BeforeEach
    void setUp() {
        otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
        userTracer = otel.getTracer("shop");
        tracing = StrataTracing.create(otel, 1.0);
    }

    @AfterEach
    void tearDown() {
        tracing.close();
        otel.close();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aCallIsASpanUnderTheCallersWithAChildPerAttempt() throws Exception {
        int port = closedPort();
        Pipeline payments = Pipeline.builder("payments")
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(5))).build())
                .timeout(Duration.ofSeconds(2)) // attempts run on virtual threads
                .events(EventBus.detached()).build();
        tracing.bind(payments);
        AtomicInteger attempts = new AtomicInteger();
        AtomicReference<String> seenInsideAttempt = new AtomicReference<>();

        Span checkout = userTracer.spanBuilder("checkout").startSpan();
        try (Scope ignored = checkout.makeCurrent()) {
            String answer = payments.execute(() -> {
                seenInsideAttempt.set(Span.current().getSpanContext().getSpanId());
                if (attempts.incrementAndGet() == 1) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 1000); // refused: a real L1 fault
                    }
                }
                return "paid";
            });
            assertThat(answer).isEqualTo("paid");
        } finally {
            checkout.end();
        }

        List<SpanData> spans = exporter.getFinishedSpanItems();
        SpanData user = span(spans, "checkout");
        SpanData call = span(spans, "payments");
        SpanData first = span(spans, "payments attempt 1");
        SpanData second = span(spans, "payments attempt 2");
        assertThat(call.getParentSpanId()).isEqualTo(user.getSpanId());
        assertThat(call.getTraceId()).isEqualTo(user.getTraceId());
        assertThat(first.getParentSpanId()).isEqualTo(call.getSpanId());
        assertThat(second.getParentSpanId()).isEqualTo(call.getSpanId());
        assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(first.getAttributes().get(AttributeKey.stringKey("strata.fault.layer"))).isEqualTo("NETWORK");
        assertThat(first.getAttributes().get(AttributeKey.stringKey("strata.fault"))).startsWith("NETWORK/connection-refused");
        assertThat(second.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(call.getAttributes().get(AttributeKey.longKey("strata.attempts"))).isEqualTo(2);
        assertThat(call.getEvents()).extracting(e -> e.getName()).contains("backoff");
        assertThat(first.getStartEpochNanos()).isLessThanOrEqualTo(second.getStartEpochNanos());
        assertThat(second.getEndEpochNanos()).isLessThanOrEqualTo(call.getEndEpochNanos());
        // The attempt ran on a virtual thread, yet inside the call's span: the context crossed the hand-off.
        assertThat(seenInsideAttempt.get()).isEqualTo(call.getSpanId());
    }

    @Test
    void asyncStepsOnStratasTimerKeepTheCallersContext() throws Exception {
        Pipeline inventory = Pipeline.builder("inventory")
                .retry(Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(10))).build())
                .events(EventBus.detached()).build();
        AtomicInteger attempts = new AtomicInteger();
        AtomicReference<String> traceOfRetry = new AtomicReference<>();
        AtomicReference<String> threadOfRetry = new AtomicReference<>();
        Span request = userTracer.spanBuilder("request").startSpan();
        String answer;
        try (Scope ignored = request.makeCurrent()) {
            answer = inventory.<String>executeAsync(() -> {
                if (attempts.incrementAndGet() == 1) {
                    return CompletableFuture.failedFuture(new ConnectException("refused"));
                }
                traceOfRetry.set(Span.current().getSpanContext().getTraceId());
                threadOfRetry.set(Thread.currentThread().getName());
                return CompletableFuture.completedFuture("in stock");
            }).get(5, TimeUnit.SECONDS);
        } finally {
            request.end();
        }
        assertThat(answer).isEqualTo("in stock");
        assertThat(threadOfRetry.get()).startsWith("strata-async-"); // the backoff's timer handed the retry off
        assertThat(traceOfRetry.get()).isEqualTo(request.getSpanContext().getTraceId());
    }

    @Test
    void nothingIsTracedAtRateZeroAndABadRateIsRefused() {
        tracing.close();
        tracing = StrataTracing.create(otel, 0.0);
        Pipeline pipeline = Pipeline.builder("search").events(EventBus.detached()).build();
        tracing.bind(pipeline);
        for (int i = 0; i < 50; i++) {
            pipeline.execute(() -> "ok");
        }
        assertThat(exporter.getFinishedSpanItems()).isEmpty();
        assertThatThrownBy(() -> StrataTracing.create(otel, 2.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sampleRate: 2.0").hasMessageContaining("allowed 0..1");
    }

    private static SpanData span(List<SpanData> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans.stream().map(SpanData::getName).toList()));
    }
}
