package dev.strata.resilience;

/**
 * How {@link AdaptiveLimit} moves its limit after a busy window that did not cut: it reads the
 * queue the window's latency implies (TCP Vegas: of the calls in flight, the share
 * {@code 1 - baseline / latency} waited rather than being served) and keeps it at a few calls.
 * Below {@code alpha / 2} it grows by sqrt(limit), below {@code alpha} by one, up to
 * {@code 2 alpha} it holds, above it shrinks by the excess (at most what a drop would cut), with
 * {@code alpha = max(2, 2 log10(limit))}. Growing until the tolerance cut instead made a sawtooth:
 * 39..61 every 0.6 s for a dependency whose best limit was 45.
 */
final class QueueBand {

    private QueueBand() {
    }

    /** The change to a limit of {@code before} after a window with this peak, latency and baseline (nanoseconds). */
    static double step(double before, int peak, double rttNanos, double baselineNanos, double growthStep, double backoffRatio) {
        double queue = Math.min(before, peak) * (1 - baselineNanos / rttNanos);
        double alpha = Math.max(2.0, 2 * Math.log10(before));
        if (queue < alpha / 2) {
            return growthStep;
        }
        if (queue < alpha) {
            return 1.0;
        }
        if (queue <= 2 * alpha) {
            return 0.0;
        }
        return -Math.min(before * (1 - backoffRatio), queue - 2 * alpha);
    }
}
