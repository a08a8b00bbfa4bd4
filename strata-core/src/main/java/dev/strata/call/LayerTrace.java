package dev.strata.call;

import dev.strata.internal.Durations;

import dev.strata.fault.Layer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one logical call spent on each layer: DNS, TCP and TLS on L1, pool wait on L2, each
 * attempt and backoff on L3. Layers append {@link Span}s as they work; a diagnosis reads them
 * to show where the time and the failure went. Thread-safe; bounded so a runaway loop cannot
 * grow it without end.
 */
public final class LayerTrace {

    /** Spans beyond this many are counted but not kept. */
    public static final int MAX_SPANS = 256;

    /**
     * One step of a call.
     *
     * @param layer the layer that did the work
     * @param phase what it was, e.g. {@code dns}, {@code tcp}, {@code tls}, {@code pool-wait},
     *     {@code attempt}, {@code backoff}
     * @param durationNanos how long it took
     * @param outcome {@code ok} or the fault, e.g. {@code NETWORK/connection-reset}
     */
    public record Span(Layer layer, String phase, long durationNanos, String outcome) {
        @Override
        public String toString() {
            return layer.label() + " " + phase + " " + Durations.format(durationNanos) + " " + outcome;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final List<Span> spans = new ArrayList<>();
    private int dropped;

    /** Records a step. */
    public void record(Layer layer, String phase, long durationNanos, String outcome) {
        lock.lock();
        try {
            if (spans.size() < MAX_SPANS) {
                spans.add(new Span(layer, phase, durationNanos, outcome));
            } else {
                dropped++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the spans recorded so far, in order. */
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

    @Override
    public String toString() {
        return spans().toString();
    }
}
