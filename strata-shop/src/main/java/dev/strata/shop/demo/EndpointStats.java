package dev.strata.shop.demo;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one endpoint of one variant did during one phase: every request's outcome and latency.
 * Latencies are kept exactly (a phase sends a few thousand requests at most) so percentiles are
 * exact, not estimated; beyond {@link #MAX_SAMPLES} requests are still counted but their latency is
 * not kept. Thread-safe.
 */
final class EndpointStats {

    static final int MAX_SAMPLES = 200_000;

    /** How a request ended. */
    enum Outcome {
        /** Answered normally. */
        OK,
        /** Answered with a degraded answer from a fallback. */
        FALLBACK,
        /** Failed: the user got an error. */
        ERROR,
        /** Never sent: the load generator's in-flight cap was reached. */
        DROPPED
    }

    private final ReentrantLock lock = new ReentrantLock();
    private long[] latencies = new long[256];
    private int samples;
    private final EnumMap<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    private final EnumMap<FaultKind, Long> faults = new EnumMap<>(FaultKind.class);
    private final Map<String, Long> fallbackReasons = new TreeMap<>();

    /**
     * Records a request that got an answer (normal or fallback).
     *
     * @param fallbackReason why a fallback answered, as the policy saw it; null when none did
     * @param rootFault the fault underneath, counted per layer; null when none
     */
    void answered(long latencyNanos, boolean fallback, Fault fallbackReason, Fault rootFault) {
        lock.lock();
        try {
            outcomes.merge(fallback ? Outcome.FALLBACK : Outcome.OK, 1L, Long::sum);
            if (fallback && fallbackReason != null) {
                fallbackReasons.merge(fallbackReason.kind().qualifiedName(), 1L, Long::sum);
            }
            if (fallback && rootFault != null) {
                faults.merge(rootFault.kind(), 1L, Long::sum);
            }
            addSample(latencyNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Records a request that failed with a classified fault. */
    void failed(long latencyNanos, Fault fault) {
        lock.lock();
        try {
            outcomes.merge(Outcome.ERROR, 1L, Long::sum);
            faults.merge(fault.kind(), 1L, Long::sum);
            addSample(latencyNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Records a request the load generator could not send. */
    void dropped() {
        lock.lock();
        try {
            outcomes.merge(Outcome.DROPPED, 1L, Long::sum);
        } finally {
            lock.unlock();
        }
    }

    private void addSample(long latencyNanos) {
        if (samples == MAX_SAMPLES) {
            return;
        }
        if (samples == latencies.length) {
            latencies = Arrays.copyOf(latencies, Math.min(MAX_SAMPLES, latencies.length * 2));
        }
        latencies[samples++] = latencyNanos;
    }

    /** An immutable summary of what was recorded so far. */
    Summary summary() {
        lock.lock();
        try {
            long[] sorted = Arrays.copyOf(latencies, samples);
            Arrays.sort(sorted);
            EnumMap<Layer, Long> byLayer = new EnumMap<>(Layer.class);
            Map<String, Long> byKind = new TreeMap<>();
            faults.forEach((kind, n) -> {
                byLayer.merge(kind.layer(), n, Long::sum);
                byKind.put(kind.qualifiedName(), n);
            });
            return new Summary(count(Outcome.OK), count(Outcome.FALLBACK), count(Outcome.ERROR), count(Outcome.DROPPED),
                    percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1],
                    Map.copyOf(byLayer), Map.copyOf(byKind), Map.copyOf(fallbackReasons));
        } finally {
            lock.unlock();
        }
    }

    private long count(Outcome outcome) {
        return outcomes.getOrDefault(outcome, 0L);
    }

    /** Nearest-rank percentile; 0 when there are no samples. */
    static long percentile(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /**
     * A phase's numbers for one endpoint of one variant.
     *
     * @param ok answered normally
     * @param fallback answered by a fallback
     * @param errors failed
     * @param dropped not sent because too many requests were already in flight
     * @param p50Nanos median latency of answered and failed requests
     * @param p99Nanos 99th percentile latency
     * @param maxNanos slowest request
     * @param faultsByLayer faults (errors and fallback causes) per layer: which layer broke
     * @param faultsByKind the same per {@code LAYER/kind}
     * @param fallbackReasons why fallbacks were used, per {@code LAYER/kind}
     */
    record Summary(long ok, long fallback, long errors, long dropped, long p50Nanos, long p99Nanos, long maxNanos,
                   Map<Layer, Long> faultsByLayer, Map<String, Long> faultsByKind, Map<String, Long> fallbackReasons) {

        /** Every request the load generator meant to send, dropped ones included. */
        long requests() {
            return ok + fallback + errors + dropped;
        }

        /** Share of requests that got an answer, fallbacks included. */
        double successRate() {
            long n = requests();
            return n == 0 ? 1.0 : (double) (ok + fallback) / n;
        }

        /** Share of requests answered by a fallback. */
        double fallbackRate() {
            long n = requests();
            return n == 0 ? 0.0 : (double) fallback / n;
        }

        /** Share of requests that failed or were dropped. */
        double errorRate() {
            long n = requests();
            return n == 0 ? 0.0 : (double) (errors + dropped) / n;
        }
    }
}
