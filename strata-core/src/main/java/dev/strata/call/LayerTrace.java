package dev.strata.call;

import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one logical call spent on each layer: DNS, TCP and TLS on L1, pool wait on L2, the
 * bulkhead, the breaker check, each attempt and backoff on L3. Layers append {@link Span}s as they
 * work; a diagnosis reads them to show where the time and the failure went, and
 * {@link #breakdown()} prints them the way seed 000 traces a request through the layers. Thread-safe
 * (attempts record from their own threads); bounded so a runaway loop cannot grow it without end.
 *
 * <p>A trace exists only for a call that has a {@link CallContext}: one the caller made, or one
 * a pipeline made because a bound {@code OutcomeListener} sampled the call (see
 * {@code OutcomeListener#traceSampleRate()}; off by default, so an unsampled call allocates no trace).
 */
public final class LayerTrace {

    /** Spans beyond this many are counted but not kept. */
    public static final int MAX_SPANS = 256;

    /**
     * One step of a call.
     *
     * @param layer the layer that did the work
     * @param phase what it was, e.g. {@code dns}, {@code tcp}, {@code tls}, {@code pool-wait},
     *     {@code bulkhead}, {@code breaker-check}, {@code attempt}, {@code backoff}
     * @param durationNanos how long it took
     * @param outcome {@code ok} or the fault, e.g. {@code NETWORK/connection-reset}
     * @param startNanos when it began, nanoseconds after the trace was created (the step's end, when
     *     it was recorded, minus its duration)
     */
    public record Span(Layer layer, String phase, long durationNanos, String outcome, long startNanos) {

        /** A span with no known start, for spans built outside a trace. */
        public Span(Layer layer, String phase, long durationNanos, String outcome) {
            this(layer, phase, durationNanos, outcome, 0L);
        }

        /** Where the span ends, nanoseconds after the trace was created. */
        public long endNanos() {
            return startNanos + Math.max(0L, durationNanos);
        }

        @Override
        public String toString() {
            return layer.label() + " " + phase + " " + Durations.format(durationNanos) + " " + outcome;
        }
    }

    private final long origin = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Span> spans = new ArrayList<>();
    private int dropped;

    /** Records a step that ends now and took {@code durationNanos}. */
    public void record(Layer layer, String phase, long durationNanos, String outcome) {
        long start = Math.max(0L, System.nanoTime() - origin - Math.max(0L, durationNanos));
        lock.lock();
        try {
            if (spans.size() < MAX_SPANS) {
                spans.add(new Span(layer, phase, durationNanos, outcome, start));
            } else {
                dropped++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the spans recorded so far, in the order they were recorded (which is the order they ended). */
    public List<Span> spans() {
        lock.lock();
        try {
            return List.copyOf(spans);
        } finally {
            lock.unlock();
        }
    }

    /** Total time recorded on one layer. */
    public long nanosOn(Layer layer) {
        long total = 0;
        for (Span span : spans()) {
            if (span.layer() == layer) {
                total += span.durationNanos();
            }
        }
        return total;
    }

    /** Spans that did not fit under {@link #MAX_SPANS}. */
    public int dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** From the trace's creation to the end of its last span. */
    public long totalNanos() {
        long end = 0;
        for (Span span : spans()) {
            end = Math.max(end, span.endNanos());
        }
        return end;
    }

    /**
     * The call step by step in time order, in seed 000's form: each line the time it began, the
     * layer, the step and how long it took. Steps inside an attempt (pool wait, DNS, TCP, TLS, the
     * dependency's own answer on the {@code remote} layer) are indented under it, followed by
     * {@code the call itself}: the attempt's time not spent in those steps. The last line sums the
     * time per layer.
     *
     * <pre>
     * t=   0.00ms  L3  breaker-check            0.01ms  CLOSED
     * t=   0.01ms  L3  attempt 1                2.41ms  ok
     * t=   0.02ms  L2    pool-wait              0.04ms  ok
     * t=   0.06ms  --    the call itself        2.37ms
     * total 2.42ms: L1 0.00ms, L2 0.04ms, L3 0.01ms, call 2.37ms (98%)
     * </pre>
     */
    public String breakdown() {
        return String.join("\n", breakdownLines());
    }

    private List<String> breakdownLines() {
        List<Span> sorted = new ArrayList<>(spans());
        // By start; an attempt before the steps that begin with it.
        sorted.sort(Comparator.comparingLong(Span::startNanos).thenComparing(s -> !s.phase().equals("attempt")));
        List<Span> attempts = sorted.stream().filter(s -> s.phase().equals("attempt")).toList();
        List<String> out = new ArrayList<>();
        long callNanos = 0;
        long[] perLayer = new long[Layer.values().length];
        int attempt = 0;
        for (Span span : sorted) {
            boolean isAttempt = span.phase().equals("attempt");
            if (!isAttempt && enclosing(attempts, span) != null) {
                continue; // printed under its attempt
            }
            if (!isAttempt) {
                perLayer[span.layer().ordinal()] += span.durationNanos();
                out.add(line(span.startNanos(), span.layer().label(), span.phase(), span.durationNanos(), span.outcome()));
                continue;
            }
            attempt++;
            out.add(line(span.startNanos(), span.layer().label(), "attempt " + attempt, span.durationNanos(), span.outcome()));
            List<Span> inner = new ArrayList<>();
            for (Span s : sorted) {
                if (!s.phase().equals("attempt") && enclosing(attempts, s) == span) {
                    inner.add(s);
                }
            }
            for (Span s : inner) {
                // A step inside another (DNS and TCP inside the pool wait that opened the connection)
                // is indented under it and not counted twice.
                List<Span> nested = inner.stream().filter(o -> o != s && contains(s, o)).toList();
                boolean isNested = inner.stream().anyMatch(o -> o != s && contains(o, s));
                perLayer[s.layer().ordinal()] += Math.max(0L, s.durationNanos() - union(nested));
                out.add(line(s.startNanos(), s.layer().label(), (isNested ? "    " : "  ") + s.phase(), s.durationNanos(),
                        s.outcome()));
            }
            long own = Math.max(0L, span.durationNanos() - union(inner));
            callNanos += own;
            out.add(line(span.endNanos() - own, "--", "  the call itself", own, ""));
        }
        long total = totalNanos();
        StringBuilder sum = new StringBuilder("total ").append(ms(total)).append(':');
        for (Layer layer : new Layer[] {Layer.APPLICATION, Layer.RESILIENCE, Layer.RESOURCE, Layer.NETWORK, Layer.REMOTE}) {
            if (perLayer[layer.ordinal()] > 0) {
                sum.append(' ').append(layer.label()).append(' ').append(ms(perLayer[layer.ordinal()])).append(',');
            }
        }
        sum.append(" call ").append(ms(callNanos));
        if (total > 0) {
            sum.append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * callNanos / total));
        }
        out.add(sum.toString());
        if (dropped() > 0) {
            out.add("(" + dropped() + " more steps not kept)");
        }
        return out;
    }

    /** Whether {@code inner} lies within {@code outer}, give or take the microsecond between their clock reads. */
    private static boolean contains(Span outer, Span inner) {
        return inner.startNanos() >= outer.startNanos() - 1_000 && inner.endNanos() <= outer.endNanos() + 1_000
                && inner.durationNanos() <= outer.durationNanos();
    }

    /** The time covered by the spans together, overlaps counted once. */
    private static long union(List<Span> spans) {
        List<Span> byStart = new ArrayList<>(spans);
        byStart.sort(Comparator.comparingLong(Span::startNanos));
        long covered = 0;
        long reach = Long.MIN_VALUE;
        for (Span s : byStart) {
            long from = Math.max(s.startNanos(), reach);
            if (s.endNanos() > from) {
                covered += s.endNanos() - from;
            }
            reach = Math.max(reach, s.endNanos());
        }
        return covered;
    }

    private static Span enclosing(List<Span> attempts, Span span) {
        for (Span a : attempts) {
            // Inner steps end no later than their attempt; a microsecond of slack for the clock reads between them.
            if (span.startNanos() >= a.startNanos() - 1_000 && span.endNanos() <= a.endNanos() + 1_000
                    && span.layer() != Layer.RESILIENCE) {
                return a;
            }
        }
        return null;
    }

    private static String line(long at, String layer, String step, long nanos, String outcome) {
        return String.format(Locale.ROOT, "t=%8s  %-6s %-22s %9s  %s", ms(at), layer, step, ms(nanos), outcome).stripTrailing();
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
    }

    /**
     * Two breakdowns side by side, e.g. a warm pool beside a cold one, each under its title.
     */
    public static String sideBySide(String leftTitle, LayerTrace left, String rightTitle, LayerTrace right) {
        List<String> a = new ArrayList<>(left.breakdownLines());
        List<String> b = new ArrayList<>(right.breakdownLines());
        a.addFirst(leftTitle);
        b.addFirst(rightTitle);
        int width = 0;
        for (String s : a) {
            width = Math.max(width, s.length());
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String l = i < a.size() ? a.get(i) : "";
            String r = i < b.size() ? b.get(i) : "";
            out.append(String.format(Locale.ROOT, "%-" + width + "s   |   %s", l, r).stripTrailing()).append('\n');
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return spans().toString();
    }
}
