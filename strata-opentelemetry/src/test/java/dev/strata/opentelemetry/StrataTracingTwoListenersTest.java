package dev.strata.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.EventBus;
import dev.strata.resilience.Pipeline;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Item 12: two tracing listeners on one pipeline (e.g. one per exporter). Each makes its call span
 * current on the caller's thread; if they close their scopes in the order they opened them, the
 * first close is out of order (OpenTelemetry ignores it) and an ended span stays current on the
 * caller's thread after the call.
 */
class StrataTracingTwoListenersTest {

    private final InMemorySpanExporter first = InMemorySpanExporter.create();
    private OpenTelemetrySdk otel;
    private StrataTracing one;
    private StrataTracing two;

    @BeforeEach
    void setUp() {
        otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(first)).build()).build();
        one = StrataTracing.create(otel, 1.0);
        two = StrataTracing.create(otel, 1.0);
    }

    @AfterEach
    void tearDown() {
        two.close();
        one.close();
        otel.close();
    }

    private Pipeline twiceTraced(String name) {
        Pipeline pipeline = Pipeline.builder(name).events(EventBus.detached()).build();
        one.bind(pipeline);
        two.bind(pipeline);
        return pipeline;
    }

    @Test
    void withTwoTracingListenersNoEndedSpanStaysCurrentAfterASynchronousCall() throws Exception {
        Pipeline payments = twiceTraced("payments");
        Span checkout = otel.getTracer("shop").spanBuilder("checkout").startSpan();
        try (Scope ignored = checkout.makeCurrent()) {
            assertThat(payments.execute(() -> "paid")).isEqualTo("paid");
            assertThat(Span.current().getSpanContext().getSpanId())
                    .as("the caller's own span is current again, not an ended call span")
                    .isEqualTo(checkout.getSpanContext().getSpanId());
        } finally {
            checkout.end();
        }
        assertThat(Context.current()).as("nothing left current on the caller's thread").isSameAs(Context.root());
        assertThat(first.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("payments")).hasSize(2);
    }

    @Test
    void withTwoTracingListenersNoEndedSpanStaysCurrentAfterLaunchingAnAsynchronousCall() throws Exception {
        Pipeline search = twiceTraced("search");
        CompletableFuture<String> answer = search.executeAsync(() -> CompletableFuture.completedFuture("found"));
        assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("found");
        assertThat(Context.current()).as("nothing left current on the caller's thread").isSameAs(Context.root());
    }
}
