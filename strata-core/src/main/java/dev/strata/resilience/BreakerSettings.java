package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.fault.Fault;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker.Mode;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * The body of {@link CircuitBreaker.Builder}: its fields, setters and validation, kept out of
 * CircuitBreaker.java the way the JDK keeps StringBuilder's in AbstractStringBuilder. Each setter
 * is public and returns {@code CircuitBreaker.Builder}, so chained calls compile as before, and
 * javac gives the public Builder a bridge for each: the Builder's methods and their signatures
 * are the same as when they were declared there. The Builder itself keeps only what must be
 * declared on it: {@code recordedByDefault} (a static method gets no bridge), {@code build()}, and
 * {@code recordFault}, whose bridge would show a raw {@code Predicate} instead of
 * {@code Predicate<Fault>}.
 */
abstract sealed class BreakerSettings permits CircuitBreaker.Builder {

    private final String name;
    private Mode mode = Mode.COUNT_WINDOW;
    private int failureThreshold = 5;
    private int windowSize = 100;
    private Integer minimumCalls;
    private double failureRateThreshold = 0.5;
    private Duration slowCallDuration;
    private double slowCallRateThreshold = 1.0;
    private int halfOpenPermits = 1;
    private Duration openWait = Duration.ofSeconds(30);
    private double openWaitMultiplier = 1.0;
    private Duration maxOpenWait;
    private Duration maxHalfOpenDuration = Duration.ofSeconds(60);
    private double openWaitJitter;
    private Predicate<Fault> recordFault = CircuitBreaker.Builder::recordedByDefault;
    private Clock clock = Clock.system();
    private EventBus events = EventBus.root();
    private RandomGenerator random;

    BreakerSettings(String name) {
        this.name = Require.notBlank("name", name);
    }

    private CircuitBreaker.Builder self() {
        return (CircuitBreaker.Builder) this; // the only subclass (sealed)
    }

    /** How the breaker decides to open; default {@link Mode#COUNT_WINDOW}. */
    public CircuitBreaker.Builder mode(Mode mode) {
        this.mode = Require.nonNull("mode", mode);
        return self();
    }

    /** Failures in a row that open the breaker in {@link Mode#CONSECUTIVE_FAILURES} mode, 1..10000; default 5. */
    public CircuitBreaker.Builder failureThreshold(int failureThreshold) {
        this.failureThreshold = failureThreshold;
        return self();
    }

    /** Calls (count window, 1..100000) or seconds (time window, 1..3600) in the window; default 100. */
    public CircuitBreaker.Builder windowSize(int windowSize) {
        this.windowSize = windowSize;
        return self();
    }

    /** Calls needed in the window before rates apply, 1..windowSize for a count window; default min(10, windowSize). */
    public CircuitBreaker.Builder minimumCalls(int minimumCalls) {
        this.minimumCalls = minimumCalls;
        return self();
    }

    /** Failure rate (0.001..1) at or above which the breaker opens; default 0.5. */
    public CircuitBreaker.Builder failureRateThreshold(double failureRateThreshold) {
        this.failureRateThreshold = failureRateThreshold;
        return self();
    }

    /** A call taking at least this long is slow (1 ms..1 h); window modes only; default off. */
    public CircuitBreaker.Builder slowCallDuration(Duration slowCallDuration) {
        this.slowCallDuration = slowCallDuration;
        return self();
    }

    /** Slow-call rate (0.001..1) at or above which the breaker opens; default 1.0. */
    public CircuitBreaker.Builder slowCallRateThreshold(double slowCallRateThreshold) {
        this.slowCallRateThreshold = slowCallRateThreshold;
        return self();
    }

    /** Concurrent probes in half-open state, 1..1000; default 1. */
    public CircuitBreaker.Builder halfOpenPermits(int halfOpenPermits) {
        this.halfOpenPermits = halfOpenPermits;
        return self();
    }

    /** How long the breaker stays open before a probe, 1 ms..1 h; default 30 s. */
    public CircuitBreaker.Builder openWait(Duration openWait) {
        this.openWait = openWait;
        return self();
    }

    /** Growth of the open wait after each failed probe, 1..10; default 1 (no growth). */
    public CircuitBreaker.Builder openWaitMultiplier(double openWaitMultiplier) {
        this.openWaitMultiplier = openWaitMultiplier;
        return self();
    }

    /**
     * How long the breaker may stay half-open while its probes have not all answered, 1ms..1 day
     * (default 60 s). Then the next permission request opens it again (a new open wait, then a
     * new probe), so a probe that hangs without a timeout cannot refuse every caller forever.
     */
    public CircuitBreaker.Builder maxHalfOpenDuration(Duration maxHalfOpenDuration) {
        this.maxHalfOpenDuration = Require.nonNull("maxHalfOpenDuration", maxHalfOpenDuration);
        return self();
    }

    /** Cap of the grown open wait, openWait..24 h; default max(openWait, 5 min). */
    public CircuitBreaker.Builder maxOpenWait(Duration maxOpenWait) {
        this.maxOpenWait = maxOpenWait;
        return self();
    }

    /** Fraction (0..1) by which each open wait is randomly shortened; default 0. */
    public CircuitBreaker.Builder openWaitJitter(double openWaitJitter) {
        this.openWaitJitter = openWaitJitter;
        return self();
    }

    /** Sets what {@link CircuitBreaker.Builder#recordFault} is given (declared there, see why). */
    final void setRecordFault(Predicate<Fault> recordFault) {
        this.recordFault = Require.nonNull("recordFault", recordFault);
    }

    /** The time source; default the system clock. */
    public CircuitBreaker.Builder clock(Clock clock) {
        this.clock = Require.nonNull("clock", clock);
        return self();
    }

    /** Where transition and rejection events go; default {@link EventBus#root()}. */
    public CircuitBreaker.Builder events(EventBus events) {
        this.events = Require.nonNull("events", events);
        return self();
    }

    /** The random source for open-wait jitter (seed it for reproducible tests); default a fresh {@link SplittableRandom}. */
    public CircuitBreaker.Builder random(RandomGenerator random) {
        this.random = Require.nonNull("random", random);
        return self();
    }

    /**
     * Validates every value, in this order, with a message naming the field, the value and the
     * allowed range, and returns them with the defaults that depend on others filled in.
     */
    BreakerConfig validated() {
        Require.between("failureThreshold", failureThreshold, 1, 10_000);
        if (mode == Mode.TIME_WINDOW) {
            Require.between("windowSize", windowSize, 1, 3600);
        } else {
            Require.between("windowSize", windowSize, 1, 100_000);
        }
        if (minimumCalls == null) {
            // Stored, as it always was: a later build() from this builder keeps this default.
            minimumCalls = mode == Mode.COUNT_WINDOW ? Math.min(10, windowSize) : 10;
        }
        Require.between("minimumCalls", minimumCalls, 1, mode == Mode.COUNT_WINDOW ? windowSize : 1_000_000);
        Require.between("failureRateThreshold", failureRateThreshold, 0.001, 1.0);
        Require.between("slowCallRateThreshold", slowCallRateThreshold, 0.001, 1.0);
        if (slowCallDuration != null) {
            if (mode == Mode.CONSECUTIVE_FAILURES) {
                throw new IllegalArgumentException("slowCallDuration: " + Durations.format(slowCallDuration)
                        + " is not allowed in CONSECUTIVE_FAILURES mode; allowed in COUNT_WINDOW and TIME_WINDOW");
            }
            Require.between("slowCallDuration", slowCallDuration, Duration.ofMillis(1), Duration.ofHours(1));
        }
        Require.between("halfOpenPermits", halfOpenPermits, 1, 1000);
        Require.between("openWait", openWait, Duration.ofMillis(1), Duration.ofHours(1));
        Require.between("openWaitMultiplier", openWaitMultiplier, 1.0, 10.0);
        if (maxOpenWait != null) {
            Require.between("maxOpenWait", maxOpenWait, openWait, Duration.ofHours(24));
        }
        Require.between("openWaitJitter", openWaitJitter, 0.0, 1.0);
        Require.between("maxHalfOpenDuration", maxHalfOpenDuration, Duration.ofMillis(1), Duration.ofDays(1));

        long slowCallNanos = slowCallDuration == null ? Long.MAX_VALUE : slowCallDuration.toNanos();
        long openWaitNanos = openWait.toNanos();
        long maxOpenWaitNanos = maxOpenWait == null ? Math.max(openWaitNanos, Duration.ofMinutes(5).toNanos())
                : maxOpenWait.toNanos();
        return new BreakerConfig(name, mode, failureThreshold, slowCallNanos, halfOpenPermits,
                maxHalfOpenDuration.toNanos(), recordFault, clock, events,
                new WindowThresholds(minimumCalls, failureRateThreshold, slowCallRateThreshold, slowCallNanos),
                windowSize,
                new OpenWait(openWaitNanos, openWaitMultiplier, maxOpenWaitNanos, openWaitJitter,
                        random != null ? random : new SplittableRandom()));
    }
}
