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

    /** Same as {@link #format(long)} for a {@link Duration}. */
    public static String format(Duration duration) {
        return format(duration.toNanos());
    }
}
