package dev.strata.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Formats durations the same way everywhere (log lines, error messages, tables) and reads the one
 * written form that configuration files and the audit share.
 */
public final class Durations {

    private static final Pattern WRITTEN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m|h|d)");

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

    /**
     * Reads {@code 250us}, {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}, {@code 1d}
     * (any case) or {@code 0}, exactly: a value that is not a whole number of nanoseconds, or does not
     * fit in a {@link Duration} of nanoseconds, is refused rather than rounded.
     *
     * @throws IllegalArgumentException saying what is wrong, without naming the field (the caller does)
     */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = WRITTEN.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a duration; write a number and a unit (us, ms, s, m, h, d), e.g. 500ms, 2s, 1m");
        }
        long nanosPerUnit = switch (m.group(2)) {
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        try {
            return Duration.ofNanos(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit)).longValueExact());
        } catch (ArithmeticException tooPrecise) {
            throw new IllegalArgumentException("is not a whole number of nanoseconds or is too large");
        }
    }
}
