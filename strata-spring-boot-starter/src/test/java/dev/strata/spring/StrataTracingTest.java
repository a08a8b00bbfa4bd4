package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** With an OpenTelemetry bean, every dependency's calls become spans under the caller's span, and the trace reaches the attempt thread. */
class StrataTracingTest {

    static class Pricing {
        @StrataCall("pricing")
        public String traceIdSeenByTheAttempt() {
            return Span.current().getSpanContext().getTraceId();
        }
    }

    @Test
    void callsBecomeSpansUnderTheCallersSpan() {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(StrataAutoConfiguration.class, StrataTracingAutoConfiguration.class))
                .withPropertyValues("strata.dependencies.pricing.timeout=5s", "strata.spring.trace-sample-rate=1")
                .withBean(OpenTelemetry.class, () -> otel)
                .withBean(Pricing.class)
                .run(context -> {
                    Span request = otel.getTracer("test").spanBuilder("GET /quote").startSpan();
                    String seen;
                    try (Scope ignored = request.makeCurrent()) {
                        seen = context.getBean(Pricing.class).traceIdSeenByTheAttempt();
                    } finally {
                        request.end();
                    }
                    String traceId = request.getSpanContext().getTraceId();
                    assertThat(seen).as("the attempt ran on another thread inside the same trace").isEqualTo(traceId);
                    List<SpanData> spans = exporter.getFinishedSpanItems();
                    assertThat(spans).extracting(SpanData::getName).contains("pricing", "pricing attempt 1", "GET /quote");
                    assertThat(spans).allMatch(s -> s.getTraceId().equals(traceId));
                });
        otel.close();
    }
}
