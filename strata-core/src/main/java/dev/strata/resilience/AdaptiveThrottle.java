package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Client-side adaptive throttling (Google SRE, "Handling Overload"): the client counts the calls
 * it made ({@code requests}) and the ones the dependency accepted ({@code accepts}) over a
 * sliding window, and refuses a new call locally with probability
 * {@code max(0, (requests - k x accepts) / (requests + 1))}, at most 0.95 (so one call in twenty
 * still probes a dead dependency and sees it recover). While the dependency accepts
 * everything nothing is refused; when it accepts only a fraction, the client sends it little more
 * than {@code k} times what it accepts, instead of its full demand, and the refused calls cost
 * nothing on the wire. Locally refused calls count as requests, so the refusal rate follows the
 * dependency's recovery within one window.
 *
 * <p>A sent call counts as a request when its answer is reported, not when it is sent: a call
 * still in flight is evidence of nothing yet. Counted at send time, the first concurrent calls
 * after a start (or a quiet spell) would be requests without accepts, and the throttle would
 * refuse calls to a healthy dependency, with its refusals then keeping the ratio down (the
 * shop did: half its first checkouts refused while payments answered in 200 ms). The price: a
 * dependency that hangs is seen when its calls time out, not before; that is what the timeout
 * and the adaptive limit are for.
 *
 * <p>An accept is any answer that is not an overload signal: a success, or a failure whose kind
 * {@link AdaptiveLimit#isDrop} does not count (a 404 is an accept). With {@code k = 2} (default)
 * the dependency sees at most twice its accepted rate, and nothing is refused while at least half
 * the calls are accepted.
 *
 * <p>Thread-safe and lock-free: per one-second bucket, one packed atomic word (second, requests,
 * accepts). Nothing is allocated on {@link #tryAcquire()} or {@link #onOutcome}.
 */
public final class AdaptiveThrottle {

    private static final long SECOND = 1_000_000_000L;
    private static final long MASK20 = (1L << 20) - 1;
    /** One request in a bucket's delta (the accepts are its low 20 bits). */
    private static final long REQUEST = 1L << 20;
    /**
     * Refused calls count as requests, so without a ceiling a dead dependency drives the probability
     * to ~1 and, once it recovers, the few calls let through earn accepts too slowly: measured in
     * strata-bench (OverloadBenchmark, three-tier chain), 0 % success 10 s after a 10 s outage.
     * A 5 % trickle of probes ends that (38 s there; Envoy caps it at 80 % by default). Not lower:
     * at 10x demand the k x accepts guarantee needs 0.8, and a dead dependency should see little.
     */
    static final double MAX_REJECT_PROBABILITY = 0.95;

    private final String name;
    private final double k;
    private final int windowSeconds;
    private final Clock clock;
    private final EventBus events;
    private final long origin;
    /** Per bucket: bits 63..40 the second (low 24 bits), 39..20 requests, 19..0 accepts. */
    private final AtomicLongArray buckets;
    private final AtomicLong throttled = new AtomicLong();
    private final AtomicBoolean throttling = new AtomicBoolean();

    private AdaptiveThrottle(Builder b) {
        this.name = b.name;
        this.k = b.k;
        this.windowSeconds = (int) b.window.toSeconds();
        this.clock = b.clock;
        this.events = b.events;
        this.origin = clock.nanoTime();
        this.buckets = new AtomicLongArray(windowSeconds);
    }

    /** A builder for the throttle of the named dependency. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /**
     * Decides whether to send a call. Returns false, having counted it as a request, when the
     * call is to be refused locally; on true the caller must report the answer with
     * {@link #onAccepted()}, {@link #onRejected()} or {@link #onOutcome}, which counts the request.
     */
    public boolean tryAcquire() {
        long second = second();
        double p = rejectProbability(second);
        if (p > 0 && ThreadLocalRandom.current().nextDouble() < p) {
            add(second, REQUEST);
            throttled.incrementAndGet();
            if (!throttling.getAndSet(true)) {
                edge(true, p);
            }
            return false;
        }
        if (p == 0 && throttling.get() && throttling.getAndSet(false)) {
            edge(false, 0);
        }
        return true;
    }

    /** Records that the dependency accepted a call sent after {@link #tryAcquire()}: one request, one accept. */
    public void onAccepted() {
        add(second(), REQUEST | 1L);
    }

    /** Records that the dependency refused or dropped a call sent after {@link #tryAcquire()}: one request. */
    public void onRejected() {
        add(second(), REQUEST);
    }

    /** Records a sent call's answer: an accept unless {@code failure} is an overload signal (null = success). */
    public void onOutcome(Fault failure) {
        if (failure == null || !AdaptiveLimit.isDrop(failure.kind())) {
            onAccepted();
        } else {
            onRejected();
        }
    }

    /** The probability a call made now is refused locally. */
    public double rejectProbability() {
        return rejectProbability(second());
    }

    /** Calls refused locally since the throttle was built. */
    public long throttledCount() {
        return throttled.get();
    }

    /** Requests (sent or refused) in the window. */
    public long requests() {
        return sum(second(), 20);
    }

    /** Accepted calls in the window. */
    public long accepts() {
        return sum(second(), 0);
    }

    private double rejectProbability(long second) {
        long requests = 0;
        long accepts = 0;
        for (int i = 0; i < windowSeconds; i++) {
            long word = buckets.get(i);
            if (live(word, second)) {
                requests += (word >>> 20) & MASK20;
                accepts += word & MASK20;
            }
        }
        double excess = requests - k * accepts;
        return excess <= 0 ? 0.0 : Math.min(MAX_REJECT_PROBABILITY, excess / (requests + 1));
    }

    private long sum(long second, int shift) {
        long total = 0;
        for (int i = 0; i < windowSeconds; i++) {
            long word = buckets.get(i);
            if (live(word, second)) {
                total += (word >>> shift) & MASK20;
            }
        }
        return total;
    }

    private boolean live(long word, long second) {
        long age = ((second & 0xFF_FFFFL) - (word >>> 40)) & 0xFF_FFFFL;
        return word != 0 && age < windowSeconds;
    }

    private long second() {
        return (clock.nanoTime() - origin) / SECOND;
    }

    private void add(long second, long delta) {
        int i = (int) (second % windowSeconds);
        long tag = second & 0xFF_FFFFL;
        for (;;) {
            long word = buckets.get(i);
            long counts = word != 0 && (word >>> 40) == tag ? word & ((1L << 40) - 1) : 0L;
            long requests = Math.min(MASK20, ((counts >>> 20) & MASK20) + (delta >>> 20));
            long accepts = Math.min(MASK20, (counts & MASK20) + (delta & MASK20));
            long next = (tag << 40) | (requests << 20) | accepts;
            if (next == 0) {
                next = 1L << 40; // never store 0: it means "never written"; tag 0 with counts 0 is harmless
            }
            if (buckets.compareAndSet(i, word, next)) {
                return;
            }
        }
    }

    private void edge(boolean started, double p) {
        Level level = started ? Level.WARNING : Level.INFO;
        if (events.isActive(level)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, started ? "throttle.started" : "throttle.stopped",
                    Layer.RESILIENCE, level, started ? Fault.of(FaultKind.THROTTLED) : null, started
                    ? String.format(Locale.ROOT, "client-side throttling: the dependency accepts too few calls; "
                            + "refusing %.0f%% locally (k %.1f over %s)", p * 100, k, Durations.format(Duration.ofSeconds(windowSeconds)))
                    : "client-side throttling stopped: the dependency accepts calls again"));
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "AdaptiveThrottle[%s, k %.1f over %ds, reject %.0f%%]", name, k, windowSeconds,
                rejectProbability() * 100);
    }

    /** Configuration of an {@link AdaptiveThrottle}; defaults: k 2.0, a 10 s window, the system clock. */
    public static final class Builder {
        private final String name;
        private double k = 2.0;
        private Duration window = Duration.ofSeconds(10);
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** How many requests per accept the client may send before refusing, 1.0..10.0; default 2.0. */
        public Builder k(double k) {
            this.k = k;
            return this;
        }

        /** The counting window, whole seconds 1..300 s; default 10 s. */
        public Builder window(Duration window) {
            this.window = window;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /** Validates and builds. */
        public AdaptiveThrottle build() {
            Require.between("k", k, 1.0, 10.0);
            Require.between("window", window, Duration.ofSeconds(1), Duration.ofSeconds(300));
            if (window.toNanos() % SECOND != 0) {
                throw new IllegalArgumentException("window: " + Durations.format(window)
                        + " is not allowed; must be whole seconds in 1s..300s");
            }
            return new AdaptiveThrottle(this);
        }
    }
}
