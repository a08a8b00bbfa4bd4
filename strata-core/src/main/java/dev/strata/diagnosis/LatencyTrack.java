package dev.strata.diagnosis;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/** Latencies of sampled attempts, a fixed ring. Thread-safe. */
final class LatencyTrack {

    private static final int LATENCY_SAMPLES = 256;

    private final long[] nanos = new long[LATENCY_SAMPLES];
    private final long[] millis = new long[LATENCY_SAMPLES];
    private final ReentrantLock lock = new ReentrantLock();
    private int next;
    private int size;

    void add(long atMillis, long durationNanos) {
        lock.lock();
        try {
            nanos[next] = durationNanos;
            millis[next] = atMillis;
            next = (next + 1) % LATENCY_SAMPLES;
            size = Math.min(size + 1, LATENCY_SAMPLES);
        } finally {
            lock.unlock();
        }
    }

    /** {p50 ms, p99 ms, samples} of attempts since {@code fromMillis}, or null when there are none. */
    long[] percentiles(long fromMillis) {
        lock.lock();
        try {
            long[] recent = new long[size];
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (millis[i] >= fromMillis) {
                    recent[n++] = nanos[i];
                }
            }
            if (n == 0) {
                return null;
            }
            long[] sorted = Arrays.copyOf(recent, n);
            Arrays.sort(sorted);
            return new long[] {sorted[(n - 1) / 2] / 1_000_000, sorted[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)] / 1_000_000, n};
        } finally {
            lock.unlock();
        }
    }
}
