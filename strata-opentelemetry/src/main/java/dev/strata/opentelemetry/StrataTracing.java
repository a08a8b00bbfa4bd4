package dev.strata.opentelemetry;

import dev.strata.call.LayerTrace;
import dev.strata.fault.Layer;
import dev.strata.observe.ContextPropagation;
import dev.strata.observe.OutcomeListener;
import dev.strata.resilience.Pipeline;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * OpenTelemetry for Strata: a span per logical call of a bound pipeline, named after the
 * dependency, with a child span per attempt; the attempt's pool wait and connection phases (DNS,
 * TCP, TLS) are events on it, with their layer and duration, and the bulkhead, breaker check and
 * backoffs are events on the call's span. A failed attempt carries {@code strata.fault.layer} and
 * {@code strata.fault} and an error status.
 *
 * <p>The call's span is current while the call runs, and {@link #create} registers OpenTelemetry's
 * context with {@link ContextPropagation}, so the attempts Strata runs on virtual threads, and the
 * asynchronous steps it hands to its timer, see the caller's context: a user's trace stays whole
 * through a Strata call, and spans the attempt's own code makes (an instrumented HTTP or JDBC
 * client) are children of the call's span.
 *
 * <pre>{@code
 * StrataTracing tracing = StrataTracing.create(openTelemetry, 0.1).bind(pipeline); // 10 % of calls
 * }</pre>
 *
 * <p>Calls made with {@code executeAsync} get the same spans: the call's span is current on the
 * caller's thread while the call is launched (so the first attempt and the steps handed to Strata's
 * timer see it), and ends exactly once when the returned future completes, fails, is refused or is
 * cancelled, on whichever thread that happens. No thread-local holds an open call: the pipeline
 * hands each call's span back to the tracer with the call's trace.
 *
 * <p>Sampling happens before a span exists: an unsampled call makes no span, no trace and reads no
 * clock for it.
 */
public final class StrataTracing implements AutoCloseable {

    /** The instrumentation scope name. */
    public static final String SCOPE = "dev.strata";

    private final Tracer tracer;
    private final double sampleRate;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<AutoCloseable> handles = new ArrayList<>();
    /**
     * One sampled call in progress: the pipeline's token for it. {@code scope} is opened and closed
     * on the caller's thread: by {@link Listener#callTraced} for a synchronous call, by
     * {@link Listener#callDetached} for an asynchronous one.
     */
    private record Open(Span span, Scope scope, long startEpochNanos, boolean async) {
    }

    private StrataTracing(Tracer tracer, double sampleRate) {
        this.tracer = tracer;
        this.sampleRate = sampleRate;
    }

    /**
     * Traces {@code sampleRate} (0..1) of the calls of every pipeline bound later, and propagates
     * OpenTelemetry's context across Strata's thread hand-offs until {@link #close()}.
     *
     * @throws IllegalArgumentException when {@code sampleRate} is outside 0..1
     */
    public static StrataTracing create(OpenTelemetry openTelemetry, double sampleRate) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) {
            throw new IllegalArgumentException("sampleRate: " + sampleRate + " is not allowed; allowed 0..1");
        }
        StrataTracing tracing = new StrataTracing(openTelemetry.getTracer(SCOPE), sampleRate);
        tracing.handles.add(ContextPropagation.register(new ContextPropagation.Propagator() {
            @Override
            public Object capture() {
                return Context.current();
            }

            @Override
            public AutoCloseable attach(Object captured) {
                return captured == null ? null : ((Context) captured).makeCurrent();
            }
        }));
        return tracing;
    }

    /** Traces the pipeline's sampled calls until {@link #close()}. */
    public StrataTracing bind(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        AutoCloseable handle = pipeline.listen(new Listener());
        lock.lock();
        try {
            handles.add(handle);
        } finally {
            lock.unlock();
        }
        return this;
    }

    /** Unbinds every pipeline and stops propagating context. */
    @Override
    public void close() {
        List<AutoCloseable> all;
        lock.lock();
        try {
            all = List.copyOf(handles);
            handles.clear();
        } finally {
            lock.unlock();
        }
        for (AutoCloseable h : all) {
            try {
                h.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not unbind " + h, e);
            }
        }
    }

    private static long epochNanosNow() {
        java.time.Instant now = java.time.Instant.now();
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }

    /** One pipeline's listener: opens the call's span at the start, fills in its attempts at the end. */
    private final class Listener implements OutcomeListener {

        @Override
        public double traceSampleRate() {
            return sampleRate;
        }

        @Override
        public Object callStarting(String dependency, boolean async) {
            long start = epochNanosNow();
            Span span = tracer.spanBuilder(dependency).setSpanKind(SpanKind.CLIENT)
                    .setStartTimestamp(start, TimeUnit.NANOSECONDS)
                    .setAttribute("strata.dependency", dependency).startSpan();
            return new Open(span, span.makeCurrent(), start, async);
        }

        @Override
        public void callDetached(Object token) {
            if (token instanceof Open call && call.async()) {
                call.scope().close(); // on the caller's thread, which opened it
            }
        }

        @Override
        public void callTraced(String dependency, Object token, LayerTrace trace) {
            if (!(token instanceof Open call)) {
                return; // bound between the start and the end of this call: nothing was opened
            }
            if (!call.async()) {
                call.scope().close();
            }
            Span span = call.span();
            long base = call.startEpochNanos();
            List<LayerTrace.Span> steps = trace.spans();
            List<LayerTrace.Span> attempts = steps.stream().filter(s -> s.phase().equals("attempt")).toList();
            Context parent = Context.current().with(span);
            int n = 0;
            String lastOutcome = "ok";
            for (LayerTrace.Span attempt : attempts) {
                n++;
                Span child = tracer.spanBuilder(dependency + " attempt " + n).setParent(parent).setSpanKind(SpanKind.INTERNAL)
                        .setStartTimestamp(base + attempt.startNanos(), TimeUnit.NANOSECONDS)
                        .setAttribute("strata.dependency", dependency)
                        .setAttribute("strata.attempt", n)
                        .setAttribute("strata.outcome", attempt.outcome())
                        .startSpan();
                for (LayerTrace.Span step : steps) {
                    if (step.layer() != Layer.RESILIENCE && step.startNanos() >= attempt.startNanos() - 1_000
                            && step.endNanos() <= attempt.endNanos() + 1_000) {
                        child.addEvent(step.phase(), stepAttributes(step), base + step.startNanos(), TimeUnit.NANOSECONDS);
                    }
                }
                if (!attempt.outcome().equals("ok")) {
                    fault(child, attempt.outcome());
                }
                child.end(base + attempt.endNanos(), TimeUnit.NANOSECONDS);
                lastOutcome = attempt.outcome();
            }
            for (LayerTrace.Span step : steps) {
                if (step.layer() == Layer.RESILIENCE && !step.phase().equals("attempt")) {
                    span.addEvent(step.phase(), stepAttributes(step), base + step.startNanos(), TimeUnit.NANOSECONDS);
                }
            }
            span.setAttribute("strata.attempts", n);
            if (n == 0) {
                // Refused before any attempt: the breaker-check or bulkhead event says why.
                span.setStatus(StatusCode.ERROR, "refused before any attempt");
            } else if (!lastOutcome.equals("ok")) {
                fault(span, lastOutcome);
            }
            span.end(Math.max(base + trace.totalNanos(), base), TimeUnit.NANOSECONDS);
        }

        private static Attributes stepAttributes(LayerTrace.Span step) {
            return Attributes.builder().put("strata.layer", step.layer().label())
                    .put("strata.duration_ms", step.durationNanos() / 1e6)
                    .put("strata.outcome", step.outcome()).build();
        }

        /** {@code NETWORK/connection-reset (Connection reset)}: layer before the slash. */
        private static void fault(Span span, String outcome) {
            int slash = outcome.indexOf('/');
            if (slash > 0) {
                span.setAttribute("strata.fault.layer", outcome.substring(0, slash));
            }
            span.setAttribute("strata.fault", outcome);
            span.setStatus(StatusCode.ERROR, outcome);
        }
    }
}
