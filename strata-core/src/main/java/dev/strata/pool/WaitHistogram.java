package dev.strata.pool;

import java.time.Duration;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lock-free histogram of acquisition waits in power-of-two nanosecond buckets: cheap enough for
 * every acquisition that took the slow path, precise to a factor of two, which is what a
 * percentile of waits needs. The fast path's waits of nothing are counted elsewhere and passed in.
 */
final class WaitHistogram {

    private static final int BUCKETS = 64;

    private final LongAdder[] buckets = new LongAdder[BUCKETS];
    private final LongAccumulator max = new LongAccumulator(Math::max, 0L);

    WaitHistogram() {
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = new LongAdder();
        }
    }

    void record(long nanos) {
        long value = Math.max(0L, nanos);
        buckets[63 - Long.numberOfLeadingZeros(value | 1L)].increment();
        if (value > max.get()) {
            max.accumulate(value);
        }
    }

    /**
     * The upper bound of the bucket holding the {@code quantile} (0..1) of the recorded values and
     * of {@code zeroWaits} more waits of nothing counted elsewhere; zero when there are none.
     */
    Duration percentile(double quantile, long zeroWaits) {
        long[] counts = new long[BUCKETS];
        counts[0] = zeroWaits;
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += buckets[i].sum();
            total += counts[i];
        }
        if (total == 0) {
            return Duration.ZERO;
        }
        long rank = (long) Math.ceil(quantile * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank && counts[i] > 0) {
                long upper = i >= 62 ? Long.MAX_VALUE : (1L << (i + 1)) - 1;
                return Duration.ofNanos(Math.min(upper, max.get()));
            }
        }
        return Duration.ofNanos(max.get());
    }

    /** How many values were recorded. */
    long count() {
        long total = 0;
        for (LongAdder bucket : buckets) {
            total += bucket.sum();
        }
        return total;
    }

    Duration max() {
        return Duration.ofNanos(max.get());
    }
}
