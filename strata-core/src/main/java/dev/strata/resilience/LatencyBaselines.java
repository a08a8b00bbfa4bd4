package dev.strata.resilience;

import dev.strata.call.Criticality;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An {@link AdaptiveLimit}'s latency samples, gathered per criticality over a window, and each
 * criticality's baseline. A window is judged against the classes' baselines weighted by its
 * samples of each, so a route whose answers are cheap (a cache hit, a fallback, a refusal further
 * down) neither pulls the baseline of a costly route down nor hides its queue.
 *
 * <p>{@link #add} is lock-free and allocation-free; everything else is called only by the caller
 * closing the window (the limit's {@code updating} flag).
 */
final class LatencyBaselines {

    private static final int CLASSES = Criticality.values().length;

    private final AtomicLongArray samples = new AtomicLongArray(CLASSES);
    private final AtomicLongArray rttSums = new AtomicLongArray(CLASSES);
    // Written only by the caller closing the window.
    private final long[] windowSamples = new long[CLASSES];
    private final double[] windowRtt = new double[CLASSES];
    /** Each class's lowest window latency, or the latency a cut did not move. */
    private final double[] baseline = new double[CLASSES];
    private final double[] cutRtt = new double[CLASSES];
    private double windowMean;

    /** Records one answered call of class {@code c} that took {@code rttNanos}. */
    void add(int c, long rttNanos) {
        samples.incrementAndGet(c);
        rttSums.addAndGet(c, rttNanos);
    }

    /** Samples gathered since the last {@link #closeWindow()}. */
    long pending() {
        long n = 0;
        for (int c = 0; c < CLASSES; c++) {
            n += samples.get(c);
        }
        return n;
    }

    /** Takes the samples gathered so far as the closing window's and returns how many there were. */
    long closeWindow() {
        long n = 0;
        long sum = 0;
        for (int c = 0; c < CLASSES; c++) {
            long nc = samples.getAndSet(c, 0);
            long sc = rttSums.getAndSet(c, 0);
            windowSamples[c] = nc;
            windowRtt[c] = nc == 0 ? 0 : (double) sc / nc;
            n += nc;
            sum += sc;
        }
        windowMean = n == 0 ? 0 : (double) sum / n;
        return n;
    }

    /** The closed window's mean latency over all classes, in nanoseconds (0 without samples). */
    double windowMean() {
        return windowMean;
    }

    /**
     * Moves each sampled class's baseline (down to a lower latency; or, in the second window after
     * a cut, to a latency within -10 %..+25 % of the one that caused the cut, which is then the
     * dependency's own) and returns the baseline the closed window is judged against.
     */
    double judgedBaseline(boolean secondWindowAfterCut) {
        double expected = 0;
        long n = 0;
        for (int c = 0; c < CLASSES; c++) {
            long nc = windowSamples[c];
            if (nc == 0) {
                continue;
            }
            double rc = windowRtt[c];
            double cut = cutRtt[c];
            if (baseline[c] == 0 || rc < baseline[c]
                    || (secondWindowAfterCut && cut > 0 && rc >= cut * 0.9 && rc <= cut * 1.25)) {
                baseline[c] = rc;
            }
            expected += nc * baseline[c];
            n += nc;
        }
        return n == 0 ? 0 : expected / n;
    }

    /** Remembers the closed window's latencies as the ones that caused a cut. */
    void cut() {
        System.arraycopy(windowRtt, 0, cutRtt, 0, CLASSES);
    }
}
