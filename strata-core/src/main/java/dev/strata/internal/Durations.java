package dev.strata.internal;

import java.time.Duration;
import java.util.Locale;

/** Formats durations the same way everywhere: log lines, error messages, tables. */
public final class Durations {

    private Durations() {
    }

    /** Human form with a unit that fits: {@code 850us}, {@code 2ms}, {@code 1.13s}, {@code 2m05s}. */
    public static String format(long nanos) {
        if (nanos < 0) {
            return "-" + format(-nanos);
        }
        if (nanos < 1_000_000L) {
            return (nanos / 1_000L) + "us";
        }
        if (nanos < 1_000_000_000L) {
            return (nanos / 1_000_000L) + "ms";
        }
        if (nanos < 60_000_000_000L) {
            double seconds = nanos / 1e9;
            return String.format(Locale.ROOT, seconds < 10 ? "%.2fs" : "%.1fs", seconds);
        }
        long totalSeconds = nanos / 1_000_000_000L;
        return String.format(Locale.ROOT, "%dm%02ds", totalSeconds / 60, totalSeconds % 60);
    }

    /** Same as {@link #format(long)} for a {@link Duration}; one too long for a long of nanoseconds formats as the longest. */
    public static String format(Duration duration) {
        return format(saturatedNanos(duration));
    }

    private static final Duration MAX_NANOS = Duration.ofNanos(Long.MAX_VALUE);
    private static final Duration MIN_NANOS = Duration.ofNanos(Long.MIN_VALUE);

    /**
     * {@code duration} in nanoseconds, saturated to {@link Long#MAX_VALUE} / {@link Long#MIN_VALUE}
     * where {@link Duration#toNanos()} would throw (about 292 years): a hint from outside, such as
     * an HTTP Retry-After, may be any size.
     */
    public static long saturatedNanos(Duration duration) {
        if (duration.compareTo(MAX_NANOS) >= 0) {
            return Long.MAX_VALUE;
        }
        if (duration.compareTo(MIN_NANOS) <= 0) {
            return Long.MIN_VALUE;
        }
        return duration.toNanos();
    }
}
