package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.call.Criticality;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.internal.Require;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bulkhead that sizes itself: it measures the dependency's latency and its drops and keeps the
 * number of calls in flight where the dependency serves them without queueing, between
 * {@code minLimit} and {@code maxLimit}. Calls over the limit are refused at once with
 * {@link AdaptiveLimitExceededException} (kind {@link FaultKind#BULKHEAD_FULL}); nothing waits.
 *
 * <h2>How the limit moves</h2>
 * Samples are gathered per window ({@code window}, and at least {@code minSamples} calls). At the
 * end of a window, with {@link Algorithm#GRADIENT}:
 * <ul>
 *   <li>a drop in the window (a timeout, a refusal, an overload answer: see {@link #isDrop}) cuts
 *       the limit by {@code backoffRatio};</li>
 *   <li>else, when the window's mean latency exceeds {@code tolerance} x the baseline, the limit
 *       is scaled by baseline / latency (at most halved per window): that is the concurrency at
 *       which the queue we caused drains. Right after a cut made on timeouts alone, which measured
 *       no latency to compare with, it is cut by {@code backoffRatio} only;</li>
 *   <li>else, when the window used at least half the limit, the queue its latency implies
 *       (Vegas: {@code in flight x (1 - baseline / latency)} calls waited) decides: under
 *       {@code alpha = max(2, 2 log10(limit))} calls the limit grows (by sqrt(limit), by one past
 *       {@code alpha / 2}), up to {@code 2 alpha} it holds, above it shrinks by the excess. So it
 *       settles where a few calls queue instead of climbing to the tolerance and being cut back
 *       (a sawtooth); an idle limit does not grow, so it cannot run to the maximum while latency
 *       is hidden.</li>
 * </ul>
 * After a cut only calls admitted since the cut are samples, and the first window of them is not
 * judged (they may still queue behind older ones). Each criticality has its own baseline, the
 * lowest latency seen for it, and a window is judged against the classes' baselines weighted by
 * its samples of each: a route whose answers are cheap (a cache hit, a fallback, a refusal further
 * down) neither pulls the baseline of a costly route down nor hides its queue. A baseline follows
 * the dependency when the dependency itself got slower: when a cut did not move a class's latency
 * (the window after is within -10 %..+25 % of the latency that caused the cut), the latency is not
 * ours, and the baseline moves to it. So the limit neither creeps down after a
 * permanent slow-down nor creeps up with queueing delay, and it never pins concurrency to the
 * minimum to re-measure (the 503s Envoy's filter causes while it measures its minimum RTT).
 * {@link Algorithm#AIMD} uses only the drops (cut by {@code backoffRatio}, grow by sqrt(limit) per
 * busy window) for dependencies whose latency says nothing about their load.
 *
 * <h2>Criticality</h2>
 * Every call carries a {@link Criticality}. A critical call is admitted while fewer than
 * {@code limit} calls are in flight; a default call only while the slots recently used by critical
 * calls stay free; a sheddable call only while the slots recently used by critical and default
 * calls stay free. The reserves follow the traffic (1.25 x the last window's peak, decaying
 * slowly), so under overload sheddable work is refused first, with no per-service tuning, and a
 * service with no critical traffic loses no capacity to a reserve. A cut spares the slots of more
 * critical work, but never by more than {@code backoffRatio}, and refused critical calls raise the
 * limit only while the dependency shows no queue (fewer than {@code alpha} calls waiting): when
 * critical work alone exceeds the capacity, the limit still comes down to it.
 *
 * <p>Thread-safe and lock-free. Admission and release allocate nothing; the window is closed by
 * whichever caller first sees it elapsed.
 */
public final class AdaptiveLimit {

    /** How the limit reacts to what it measures. */
    public enum Algorithm {
        /** Latency gradient against a baseline, plus multiplicative decrease on drops. */
        GRADIENT,
        /** Additive increase, multiplicative decrease on drops only. */
        AIMD
    }

    /** What {@link #tryAcquire} returns when the call is refused. */
    public static final long NOT_ADMITTED = Long.MIN_VALUE;

    private static final int CLASSES = Criticality.values().length;
    private static final int CRITICAL = Criticality.CRITICAL.ordinal();
    private static final int DEFAULT = Criticality.DEFAULT.ordinal();
    private static final int SHEDDABLE = Criticality.SHEDDABLE.ordinal();

    private final String name;
    private final Algorithm algorithm;
    private final int minLimit;
    private final int maxLimit;
    private final long windowNanos;
    private final int minSamples;
    private final double tolerance;
    private final double backoffRatio;
    private final Clock clock;
    private final EventBus events;

    private volatile int limit;
    /** Slots kept free for classes above each criticality: [0] unused, [1] for critical, [2] for critical + default. */
    private volatile int reserveDefault;
    private volatile int reserveSheddable;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLongArray inFlightByClass = new AtomicLongArray(CLASSES);
    private final AtomicLongArray peakByClass = new AtomicLongArray(CLASSES);
    private final AtomicLongArray rejectedByClass = new AtomicLongArray(CLASSES);
    private final LatencyBaselines latencies = new LatencyBaselines();
    private final AtomicLong drops = new AtomicLong();
    private final AtomicInteger windowPeak = new AtomicInteger();
    private final AtomicBoolean updating = new AtomicBoolean();
    private volatile long windowStart;
    /** Only calls admitted at or after this time are latency samples (moved to the time of each cut). */
    private volatile long sampleFrom = Long.MIN_VALUE / 2;

    // Written only by the caller holding `updating`.
    private double exactLimit;
    private double reserveCritical;
    private double reserveHigher;
    /** The baseline the last window was judged against: each class's own, weighted by the window's samples. */
    private volatile double baselineNanos;
    private volatile double lastRttNanos;
    /** 0 = no recent cut; 1 = the window right after a cut; 2 = the one after that. */
    private int windowsSinceCut;
    /** Whether the window of the last cut had latency samples (a window of timeouts alone has none). */
    private boolean lastCutMeasured = true;
    private long lastSheddableRefused;
    /** {@link #lastSheddableRefused} for readers outside the window update. */
    private volatile long lastSheddableRefusedSeen;
    private long lastDefaultRefused;
    private long lastCriticalRefused;
    private boolean atMinimum;

    private AdaptiveLimit(Builder b) {
        this.name = b.name;
        this.algorithm = b.algorithm;
        this.minLimit = b.minLimit;
        this.maxLimit = b.maxLimit;
        this.windowNanos = b.window.toNanos();
        this.minSamples = b.minSamples;
        this.tolerance = b.tolerance;
        this.backoffRatio = b.backoffRatio;
        this.clock = b.clock;
        this.events = b.events;
        this.exactLimit = b.initialLimit;
        this.limit = b.initialLimit;
        this.windowStart = clock.nanoTime();
    }

    /** A builder for the adaptive limit of the named dependency. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The dependency's name. */
    public String name() {
        return name;
    }

    /**
     * Admits a call of the given criticality if the limit allows, without waiting. On admission
     * it returns the call's start time, to be passed to exactly one of {@link #onSuccess},
     * {@link #onDropped} or {@link #onIgnored} when the call ends; otherwise {@link #NOT_ADMITTED}.
     */
    public long tryAcquire(Criticality criticality) {
        int c = criticality.ordinal();
        int l = limit;
        int sheddableCap = l - reserveSheddable;
        int cap = c == 0 ? l : c == 1 ? l - reserveDefault : sheddableCap;
        for (int n = inFlight.get(); ; n = inFlight.get()) {
            // Sheddable calls never count against more critical ones: a slot a sheddable call holds
            // cannot be taken back, so counting it would make a critical call wait on sheddable work
            // whenever critical demand rises faster than the reserves (they follow it once per window).
            // Sheddable work is refused first instead: its own cap counts every call in flight. In
            // flight stays below twice the limit, and only while sheddable calls drain.
            long sheddableInFlight = c == SHEDDABLE ? 0 : inFlightByClass.get(SHEDDABLE);
            long higher = n - sheddableInFlight;
            // While sheddable work is being refused or still runs, the overload is paid by it: a
            // critical or default call is then refused only past twice its cap (a hard bound).
            if (higher >= cap && (c == SHEDDABLE || higher >= 2L * cap || !sheddableWorkPresent(sheddableInFlight))) {
                rejectedByClass.incrementAndGet(c);
                if (c != SHEDDABLE) {
                    maybeUpdate(clock.nanoTime()); // a refused critical call may be what ends the window
                }
                if (events.isActive(Level.DEBUG)) {
                    rejectedEvent(criticality, n);
                }
                return NOT_ADMITTED;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                raise(windowPeak, n + 1);
                long mine = inFlightByClass.incrementAndGet(c);
                if (mine > peakByClass.get(c)) {
                    raisePeak(c, mine);
                }
                return clock.nanoTime();
            }
        }
    }

    /** Sheddable calls in flight now, or refused since the last window closed. */
    private boolean sheddableWorkPresent(long sheddableInFlight) {
        return sheddableInFlight > 0 || rejectedByClass.get(SHEDDABLE) != lastSheddableRefusedSeen;
    }

    /** Ends an admitted call that got an answer: its latency is a sample. */
    public void onSuccess(Criticality criticality, long start) {
        long now = clock.nanoTime();
        release(criticality);
        if (start - sampleFrom >= 0) { // a call admitted before the last cut says nothing about the new limit
            latencies.add(criticality.ordinal(), now - start);
        }
        maybeUpdate(now);
    }

    /** Ends an admitted call that timed out or was refused for overload: the limit is cut at the window's end. */
    public void onDropped(Criticality criticality, long start) {
        release(criticality);
        drops.incrementAndGet();
        maybeUpdate(clock.nanoTime());
    }

    /** Ends an admitted call that says nothing about the dependency's load (refused by a breaker, a bug). */
    public void onIgnored(Criticality criticality, long start) {
        release(criticality);
    }

    /** Ends an admitted call with the outcome its failure implies ({@code failure} null = success). */
    public void onOutcome(Criticality criticality, long start, Fault failure) {
        if (failure == null || failure.kind().layer() == Layer.APPLICATION) {
            onSuccess(criticality, start); // the dependency answered, even if with a 4xx
        } else if (isDrop(failure.kind())) {
            onDropped(criticality, start);
        } else {
            onIgnored(criticality, start);
        }
    }

    /**
     * Whether a failure of this kind means the dependency (or the path to it) is overloaded:
     * timeouts, refused or reset connections, rate limits, full pools or bulkheads downstream,
     * server errors, exhausted retries and deadlines.
     */
    public static boolean isDrop(FaultKind kind) {
        return OverloadSignals.isDrop(kind);
    }

    private void release(Criticality criticality) {
        inFlightByClass.decrementAndGet(criticality.ordinal());
        inFlight.decrementAndGet();
    }

    private void maybeUpdate(long now) {
        if (now - windowStart >= windowNanos && updating.compareAndSet(false, true)) {
            try {
                if (now - windowStart >= windowNanos
                        && (latencies.pending() >= minSamples || drops.get() > 0 || higherRefusedWhileShedding())) {
                    closeWindow(now);
                }
            } finally {
                updating.set(false);
            }
        }
    }

    /**
     * Whether critical or default calls were refused while sheddable work was refused too, since the
     * last window closed: such a window closes without waiting for latency samples (slow sheddable
     * calls may take seconds to supply them), so the limit makes room for the refused calls at once.
     */
    private boolean higherRefusedWhileShedding() {
        return rejectedByClass.get(SHEDDABLE) != lastSheddableRefused
                && (rejectedByClass.get(CRITICAL) != lastCriticalRefused || rejectedByClass.get(DEFAULT) != lastDefaultRefused);
    }

    private void closeWindow(long now) {
        long n = latencies.closeWindow();
        long d = drops.getAndSet(0);
        int peak = windowPeak.getAndSet(inFlight.get());
        // Whether less critical work was offered this window (ran, or was refused): a cut is paid by it first.
        long sheddableRefused = rejectedByClass.get(SHEDDABLE);
        long defaultRefused = rejectedByClass.get(DEFAULT);
        boolean sheddableOffered = peakByClass.get(SHEDDABLE) > 0 || sheddableRefused != lastSheddableRefused;
        boolean defaultOffered = peakByClass.get(DEFAULT) > 0 || defaultRefused != lastDefaultRefused;
        long criticalRefused = rejectedByClass.get(CRITICAL);
        // Critical (and, below sheddable work, default) calls refused while less critical work was
        // offered: the window's peak understates their demand, since the refused ones never ran.
        long higherRefused = sheddableOffered ? (criticalRefused - lastCriticalRefused) + (defaultRefused - lastDefaultRefused)
                : defaultOffered ? criticalRefused - lastCriticalRefused : 0;
        lastSheddableRefused = sheddableRefused;
        lastSheddableRefusedSeen = sheddableRefused;
        lastDefaultRefused = defaultRefused;
        lastCriticalRefused = criticalRefused;
        long criticalPeak = peakByClass.get(CRITICAL);
        long defaultPeak = peakByClass.get(DEFAULT);
        windowStart = now;
        double rtt = latencies.windowMean();
        double before = exactLimit;
        double next = before;
        boolean cut = false;
        boolean hold = false;
        if (d > 0) {
            next = before * backoffRatio;
            cut = true;
        } else if (algorithm == Algorithm.GRADIENT && rtt > 0) {
            hold = windowsSinceCut == 1; // calls admitted before the cut still finish in this window: judge the next one
            if (!hold) {
                // each class against its own baseline (see LatencyBaselines)
                double base = latencies.judgedBaseline(windowsSinceCut == 2);
                baselineNanos = base;
                if (rtt > tolerance * base) {
                    // After a cut made on timeouts alone there is no latency from before it to
                    // tell our queue from a dependency that got slower (see LatencyBaselines), so
                    // this cut is gentle and its latency is the reference the next window is judged by.
                    next = before * Math.max(windowsSinceCut == 2 && !lastCutMeasured ? backoffRatio : 0.5, base / rtt);
                    cut = true;
                }
            }
        }
        double growthStep = Math.max(1.0, Math.sqrt(before));
        double step = step(before, peak, rtt, growthStep);
        if (!cut && !hold && n > 0 && peak * 2 >= before) { // a window closed for refusals alone says nothing of latency
            next = before + step;
        }
        if (higherRefused > 0 && !cut && !hold && step > 0) {
            // Less critical work was there to refuse, yet more critical work was refused, and the
            // dependency showed no queue (its latency says no more than a few calls wait, see step):
            // the limit is below what the more critical work needs. Grow by what was refused, at
            // most what step allows this window (sqrt(limit), or one as the queue nears alpha): when the critical
            // work alone exceeds the capacity (10x overload, 20 % critical), an unbounded raise let
            // thousands in per window, the queue passed the deadline and goodput fell to 1 %. A window
            // that cut keeps the more critical work's slots instead (below).
            next = Math.max(next, before + Math.min(higherRefused, step));
        }
        if (cut) {
            // While less critical work is there to refuse, a cut keeps the slots the more critical
            // work used (x 1.25, as the reserves): sheddable work is refused before critical work waits.
            // It softens the cut to backoffRatio at most, never cancels it: when the critical work alone
            // fills the limit and queues, the limit must still come down.
            double keep = sheddableOffered ? Math.max(reserveHigher, (criticalPeak + defaultPeak) * 1.25)
                    : defaultOffered ? Math.max(reserveCritical, criticalPeak * 1.25) : 0;
            next = Math.max(next, Math.min(before * backoffRatio, Math.ceil(keep)));
            windowsSinceCut = 1;
            lastCutMeasured = n > 0;
            latencies.cut();
            sampleFrom = now;
        } else if (windowsSinceCut > 0) {
            windowsSinceCut = windowsSinceCut >= 2 ? 0 : windowsSinceCut + 1;
        }
        if (rtt > 0) {
            lastRttNanos = rtt;
        }
        exactLimit = Math.clamp(next, minLimit, maxLimit);
        limit = (int) Math.round(exactLimit);
        updateReserves();
        reportMinimum();
    }

    /** The step of a busy window that did not cut: by the queue band with GRADIENT, else one growth step. */
    private double step(double before, int peak, double rtt, double growthStep) {
        if (algorithm != Algorithm.GRADIENT || rtt <= 0 || baselineNanos <= 0) {
            return growthStep;
        }
        return QueueBand.step(before, peak, rtt, baselineNanos, growthStep, backoffRatio);
    }

    private void updateReserves() {
        long critical = peakByClass.getAndSet(0, inFlightByClass.get(0));
        long normal = peakByClass.getAndSet(1, inFlightByClass.get(1));
        peakByClass.set(2, inFlightByClass.get(2));
        // Follow a rise at once, a fall slowly: a quiet window must not give critical slots away.
        reserveCritical = Math.max(critical * 1.25, reserveCritical * 0.9);
        reserveHigher = Math.max((critical + normal) * 1.25, reserveHigher * 0.9);
        int l = limit;
        reserveDefault = Math.min(l - 1, (int) Math.ceil(reserveCritical));
        reserveSheddable = Math.min(l - 1, (int) Math.ceil(reserveHigher));
    }

    private void reportMinimum() {
        boolean min = limit <= minLimit;
        if (min != atMinimum) {
            atMinimum = min;
            Level level = min ? Level.WARNING : Level.INFO;
            if (events.isActive(level)) {
                events.publish(new BasicEvent(clock.currentTimeMillis(), name,
                        min ? "adaptive-limit.minimum" : "adaptive-limit.recovered", Layer.RESILIENCE, level, null,
                        String.format(Locale.ROOT, min
                                ? "adaptive limit at its minimum %d: the dependency is slow or dropping calls (latency %.1f ms, baseline %.1f ms)"
                                : "adaptive limit left its minimum: now %d (latency %.1f ms, baseline %.1f ms)",
                                limit, lastRttNanos / 1e6, baselineNanos / 1e6)));
            }
        }
    }

    private void rejectedEvent(Criticality criticality, int n) {
        events.publish(new BasicEvent(clock.currentTimeMillis(), name, "bulkhead.full", Layer.RESILIENCE, Level.DEBUG,
                Fault.of(FaultKind.BULKHEAD_FULL), "adaptive limit " + limit + " reached (" + n + " in flight); "
                + criticality.code() + " call rejected"));
    }

    private void raisePeak(int c, long value) {
        for (long p = peakByClass.get(c); value > p; p = peakByClass.get(c)) {
            if (peakByClass.compareAndSet(c, p, value)) {
                return;
            }
        }
    }

    private static void raise(AtomicInteger peak, int value) {
        for (int p = peak.get(); value > p; p = peak.get()) {
            if (peak.compareAndSet(p, value)) {
                return;
            }
        }
    }

    /** The refusal to throw for a call of this criticality that {@link #tryAcquire} did not admit. */
    public AdaptiveLimitExceededException refusal(Criticality criticality) {
        return new AdaptiveLimitExceededException(name, limit, inFlight.get(), criticality);
    }

    /**
     * Runs the call if admitted under the {@linkplain Criticality#current() current criticality},
     * and learns from its outcome (an exception's kind decides whether it is a drop).
     *
     * @throws AdaptiveLimitExceededException when not admitted (the call is not run)
     */
    public <T> T execute(Callable<T> call) throws Exception {
        Criticality c = Criticality.current();
        long start = tryAcquire(c);
        if (start == NOT_ADMITTED) {
            throw refusal(c);
        }
        T result;
        try {
            result = call.call();
        } catch (Exception | Error failure) {
            onOutcome(c, start, dev.strata.fault.FaultClassifier.DEFAULT.classify(failure));
            throw failure;
        }
        onSuccess(c, start);
        return result;
    }

    /** The current limit. */
    public int limit() {
        return limit;
    }

    /** Calls in flight now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Calls of this criticality in flight now. */
    public int inFlight(Criticality criticality) {
        return (int) inFlightByClass.get(criticality.ordinal());
    }

    /** Calls of this criticality refused since the limit was built. */
    public long rejectedCount(Criticality criticality) {
        return rejectedByClass.get(criticality.ordinal());
    }

    /** Calls refused since the limit was built, all criticalities. */
    public long rejectedCount() {
        long sum = 0;
        for (int i = 0; i < CLASSES; i++) {
            sum += rejectedByClass.get(i);
        }
        return sum;
    }

    /** The latency the limit compares against (0 before the first window), in nanoseconds. */
    public long baselineRttNanos() {
        return (long) baselineNanos;
    }

    /** The mean latency of the last window with samples (0 before), in nanoseconds. */
    public long lastRttNanos() {
        return (long) lastRttNanos;
    }

    /** The configured bounds and algorithm. */
    public int minLimit() {
        return minLimit;
    }

    public int maxLimit() {
        return maxLimit;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    @Override
    public String toString() {
        return "AdaptiveLimit[" + name + ", " + algorithm + ", " + inFlight() + "/" + limit + " in flight, "
                + minLimit + ".." + maxLimit + "]";
    }

    /**
     * Configuration of an {@link AdaptiveLimit}, validated by {@link #build()}. Defaults: gradient,
     * limits 1..1000 starting at 20, windows of 100 ms with at least 10 samples, tolerance 1.5,
     * backoff ratio 0.9, the system clock, the root event bus.
     */
    public static final class Builder {
        private final String name;
        private Algorithm algorithm = Algorithm.GRADIENT;
        private int minLimit = 1;
        private int maxLimit = 1000;
        private int initialLimit = 20;
        private Duration window = Duration.ofMillis(100);
        private int minSamples = 10;
        private double tolerance = 1.5;
        private double backoffRatio = 0.9;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** GRADIENT (default) or AIMD. */
        public Builder algorithm(Algorithm algorithm) {
            this.algorithm = Require.nonNull("algorithm", algorithm);
            return this;
        }

        /** The lowest limit, 1..10000; default 1. */
        public Builder minLimit(int minLimit) {
            this.minLimit = minLimit;
            return this;
        }

        /** The highest limit, minLimit..10000; default 1000. */
        public Builder maxLimit(int maxLimit) {
            this.maxLimit = maxLimit;
            return this;
        }

        /** The limit before anything is measured, minLimit..maxLimit; default 20. */
        public Builder initialLimit(int initialLimit) {
            this.initialLimit = initialLimit;
            return this;
        }

        /** The shortest measuring window, 1 ms..10 s; default 100 ms. */
        public Builder window(Duration window) {
            this.window = window;
            return this;
        }

        /** Samples a window needs before it closes (unless it saw a drop), 1..10000; default 10. */
        public Builder minSamples(int minSamples) {
            this.minSamples = minSamples;
            return this;
        }

        /** How far above the baseline latency may rise before the limit is cut, 1.0..10.0; default 1.5. */
        public Builder tolerance(double tolerance) {
            this.tolerance = tolerance;
            return this;
        }

        /** The factor the limit is multiplied by after a window with drops, 0.5..0.99; default 0.9. */
        public Builder backoffRatio(double backoffRatio) {
            this.backoffRatio = backoffRatio;
            return this;
        }

        /** The time source; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Where the at-minimum and rejection events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /** Validates the configuration and builds the limit. */
        public AdaptiveLimit build() {
            Require.between("minLimit", minLimit, 1, 10_000);
            Require.between("maxLimit", maxLimit, minLimit, 10_000);
            Require.between("initialLimit", initialLimit, minLimit, maxLimit);
            Require.between("window", window, Duration.ofMillis(1), Duration.ofSeconds(10));
            Require.between("minSamples", minSamples, 1, 10_000);
            Require.between("tolerance", tolerance, 1.0, 10.0);
            Require.between("backoffRatio", backoffRatio, 0.5, 0.99);
            return new AdaptiveLimit(this);
        }
    }
}
