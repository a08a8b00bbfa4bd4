package dev.strata.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.CircuitBreaker;
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
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code executeAsync} calls traced with the OpenTelemetry SDK's in-memory exporter. */
class StrataTracingAsyncTest {

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

    private static SpanData span(List<SpanData> spans, String name) {
        List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as("spans named " + name + " in " + spans).hasSize(1);
        return named.get(0);
    }

    private List<SpanData> awaitSpans(String name) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until) {
            List<SpanData> spans = exporter.getFinishedSpanItems();
            if (spans.stream().anyMatch(s -> s.getName().equals(name))) {
                return spans;
            }
            Thread.sleep(5);
        }
        return exporter.getFinishedSpanItems();
    }

    @Test
    void anAsyncCallThatFailsOnceIsOneCallSpanWithTwoAttemptsUnderTheCallersSpan() throws Exception {
        Pipeline payments = Pipeline.builder("payments")
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(5))).build())
                .events(EventBus.detached()).build();
        tracing.bind(payments);
        AtomicInteger attempts = new AtomicInteger();

        Span checkout = userTracer.spanBuilder("checkout").startSpan();
        CompletableFuture<String> answer;
        try (Scope ignored = checkout.makeCurrent()) {
            answer = payments.executeAsync(() -> attempts.incrementAndGet() == 1
                    ? CompletableFuture.failedFuture(new ConnectException("Connection refused"))
                    : CompletableFuture.completedFuture("paid"));
            // The caller's thread is back in its own span once the call is launched.
            assertThat(Span.current().getSpanContext().getSpanId()).isEqualTo(checkout.getSpanContext().getSpanId());
        } finally {
            checkout.end();
        }
        assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("paid");

        List<SpanData> spans = awaitSpans("payments");
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
        assertThat(second.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(call.getAttributes().get(AttributeKey.longKey("strata.attempts"))).isEqualTo(2);
    }

    @Test
    void anAsyncCallRefusedByAnOpenBreakerIsACallSpanWithAnErrorStatus() throws Exception {
        CircuitBreaker breaker = CircuitBreaker.builder("inventory").build();
        Pipeline inventory = Pipeline.builder("inventory").circuitBreaker(breaker)
                .events(EventBus.detached()).build();
        tracing.bind(inventory);
        breaker.forceOpen();

        CompletableFuture<String> answer = inventory.executeAsync(() -> CompletableFuture.completedFuture("never"));
        assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(RuntimeException.class);

        List<SpanData> spans = awaitSpans("inventory");
        SpanData call = span(spans, "inventory");
        assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(call.getAttributes().get(AttributeKey.longKey("strata.attempts"))).isEqualTo(0);
        assertThat(spans).noneMatch(s -> s.getName().startsWith("inventory attempt"));
    }

    @Test
    void aCancelledAsyncCallEndsItsSpanOnce() throws Exception {
        Pipeline search = Pipeline.builder("search").events(EventBus.detached()).build();
        tracing.bind(search);
        CompletableFuture<String> never = new CompletableFuture<>();

        CompletableFuture<String> answer = search.executeAsync(() -> never);
        answer.cancel(true);

        List<SpanData> spans = awaitSpans("search");
        span(spans, "search");
        Thread.sleep(50);
        assertThat(exporter.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("search")).hasSize(1);
    }
}
