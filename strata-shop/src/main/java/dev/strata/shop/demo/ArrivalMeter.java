package dev.strata.shop.demo;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts requests arriving at the simulated downstreams, per service and per calling variant, in
 * 100 ms buckets since the meter was created. A phase reads its window back as an average rate and
 * as the peak over any one-second window: the retry storm shows up as a peak, not in the average.
 *
 * <p>Fixed memory: arrivals after {@link #MAX_SECONDS} are counted in the last bucket.
 */
final class ArrivalMeter {

    static final long BUCKET_NANOS = 100_000_000L;
    static final int BUCKETS_PER_SECOND = 10;
    static final int MAX_SECONDS = 900;

    private final long startNanos;
    private final ConcurrentHashMap<String, AtomicLongArray> counts = new ConcurrentHashMap<>();

    ArrivalMeter(long startNanos) {
        this.startNanos = startNanos;
    }

    /** Records one request to {@code service} sent by {@code variant}, now. */
    void record(String service, String variant, long nowNanos) {
        AtomicLongArray buckets = counts.computeIfAbsent(key(service, variant),
                k -> new AtomicLongArray(MAX_SECONDS * BUCKETS_PER_SECOND));
        buckets.incrementAndGet(bucket(nowNanos));
    }

    /**
     * Arrivals of {@code variant} at {@code service} between two instants.
     *
     * @return total, the average per second and the largest count in any one-second window
     */
    Load load(String service, String variant, long fromNanos, long toNanos) {
        AtomicLongArray buckets = counts.get(key(service, variant));
        int from = bucket(fromNanos);
        int to = Math.max(from + 1, bucket(toNanos));
        double seconds = Math.max(1e-9, (toNanos - fromNanos) / 1e9);
        if (buckets == null) {
            return new Load(0, 0, 0);
        }
        long total = 0;
        for (int i = from; i < to; i++) {
            total += buckets.get(i);
        }
        long peak = 0;
        // Sliding one-second windows inside the interval; a short interval is one window.
        int windows = Math.max(1, to - from - BUCKETS_PER_SECOND + 1);
        for (int w = 0; w < windows; w++) {
            long window = 0;
            for (int i = from + w; i < Math.min(to, from + w + BUCKETS_PER_SECOND); i++) {
                window += buckets.get(i);
            }
            peak = Math.max(peak, window);
        }
        return new Load(total, total / seconds, peak);
    }

    private int bucket(long nanos) {
        long index = Math.max(0, (nanos - startNanos) / BUCKET_NANOS);
        return (int) Math.min(index, MAX_SECONDS * BUCKETS_PER_SECOND - 1L);
    }

    private static String key(String service, String variant) {
        return service + '\u0000' + variant;
    }

    /**
     * Load on one downstream.
     *
     * @param requests requests that arrived
     * @param perSecond average arrivals per second
     * @param peakPerSecond most arrivals in any one-second window
     */
    record Load(long requests, double perSecond, long peakPerSecond) {
    }
}
