package dev.strata.pool;

import dev.strata.call.Clock;
import dev.strata.internal.Require;
import dev.strata.observe.EventBus;
import java.time.Duration;

/**
 * Immutable settings of a {@link Pool}, validated when built. Durations of zero mean "off" where
 * the method says so. Built only through {@link #builder(String)} (or {@link #toBuilder()}), so
 * a new setting never breaks a caller's code.
 */
public final class PoolConfig {

    /** Largest pool this class accepts; a bigger one is a configuration mistake. */
    public static final int MAX_POOL_SIZE = 10_000;

    private static final Duration ZERO = Duration.ZERO;
    private static final Duration DAY = Duration.ofDays(1);

    private final String name;
    private final int maxSize;
    private final int minIdle;
    private final Duration acquisitionTimeout;
    private final boolean validateIdle;
    private final Duration validationBypass;
    private final Duration validationTimeout;
    private final Duration idleTimeout;
    private final Duration maxLifetime;
    private final double lifetimeJitter;
    private final Duration keepaliveInterval;
    private final Duration leakDetectionThreshold;
    private final int creationConcurrency;
    private final Duration housekeepingInterval;
    private final Clock clock;
    private final EventBus events;

    private PoolConfig(Builder b) {
        Require.notBlank("name", b.name);
        Require.between("maxSize", b.maxSize, 1, MAX_POOL_SIZE);
        Require.between("minIdle", b.minIdle, 0, b.maxSize);
        Require.between("acquisitionTimeout", b.acquisitionTimeout, Duration.ofMillis(1), Duration.ofMinutes(10));
        Require.between("validationBypass", b.validationBypass, ZERO, DAY);
        Require.between("validationTimeout", b.validationTimeout, Duration.ofMillis(1), Duration.ofMinutes(1));
        Require.between("idleTimeout", b.idleTimeout, ZERO, DAY);
        Require.between("maxLifetime", b.maxLifetime, ZERO, Duration.ofDays(30));
        Require.between("lifetimeJitter", b.lifetimeJitter, 0.0, 0.5);
        Require.between("keepaliveInterval", b.keepaliveInterval, ZERO, DAY);
        Require.between("leakDetectionThreshold", b.leakDetectionThreshold, ZERO, DAY);
        Require.between("creationConcurrency", b.creationConcurrency, 1, 64);
        Require.between("housekeepingInterval", b.housekeepingInterval, Duration.ofMillis(10), Duration.ofMinutes(5));
        Require.nonNull("clock", b.clock);
        this.name = b.name;
        this.maxSize = b.maxSize;
        this.minIdle = b.minIdle;
        this.acquisitionTimeout = b.acquisitionTimeout;
        this.validateIdle = b.validateIdle;
        this.validationBypass = b.validationBypass;
        this.validationTimeout = b.validationTimeout;
        this.idleTimeout = b.idleTimeout;
        this.maxLifetime = b.maxLifetime;
        this.lifetimeJitter = b.lifetimeJitter;
        this.keepaliveInterval = b.keepaliveInterval;
        this.leakDetectionThreshold = b.leakDetectionThreshold;
        this.creationConcurrency = b.creationConcurrency;
        this.housekeepingInterval = b.housekeepingInterval;
        this.clock = b.clock;
        this.events = b.events == null ? EventBus.create() : b.events;
    }

    /** The dependency's name, used in log lines, events and fault messages. */
    public String name() {
        return name;
    }

    /** Most resources open at once, idle and in use together. */
    public int maxSize() {
        return maxSize;
    }

    /** Resources the pool keeps open and idle, created at start (warm-up) and after evictions. */
    public int minIdle() {
        return minIdle;
    }

    /** Longest a borrower waits for a resource; a shorter current deadline wins. */
    public Duration acquisitionTimeout() {
        return acquisitionTimeout;
    }

    /** Whether a resource idle longer than {@code validationBypass} is validated on borrow. */
    public boolean validateIdle() {
        return validateIdle;
    }

    /** How long after its last known-good use a resource is trusted without validation. */
    public Duration validationBypass() {
        return validationBypass;
    }

    /** Bound on one validation or keepalive round trip. */
    public Duration validationTimeout() {
        return validationTimeout;
    }

    /** Idle resources above {@code minIdle} are closed after this long; zero = never. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Resources are retired after this age (minus jitter); zero = never. */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** Fraction of {@code maxLifetime} randomly subtracted per resource, so they do not all retire at once. */
    public double lifetimeJitter() {
        return lifetimeJitter;
    }

    /** Idle resources are pinged this often; keep it below the server's or NAT's idle timeout; zero = off. */
    public Duration keepaliveInterval() {
        return keepaliveInterval;
    }

    /** A resource held longer is reported with the borrower's stack; zero = off. */
    public Duration leakDetectionThreshold() {
        return leakDetectionThreshold;
    }

    /** Most resources being created at once (warm-up and borrowers together). */
    public int creationConcurrency() {
        return creationConcurrency;
    }

    /** How often the housekeeper checks idle timeout, lifetime, keepalive, leaks and min idle (at least twice per keepalive interval, whatever this says). */
    public Duration housekeepingInterval() {
        return housekeepingInterval;
    }

    /** Time source for ages and idle times. */
    public Clock clock() {
        return clock;
    }

    /** Where the pool publishes its events. */
    public EventBus events() {
        return events;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PoolConfig that && maxSize == that.maxSize && minIdle == that.minIdle
                && validateIdle == that.validateIdle && Double.compare(lifetimeJitter, that.lifetimeJitter) == 0
                && creationConcurrency == that.creationConcurrency && name.equals(that.name)
                && acquisitionTimeout.equals(that.acquisitionTimeout) && validationBypass.equals(that.validationBypass)
                && validationTimeout.equals(that.validationTimeout) && idleTimeout.equals(that.idleTimeout)
                && maxLifetime.equals(that.maxLifetime) && keepaliveInterval.equals(that.keepaliveInterval)
                && leakDetectionThreshold.equals(that.leakDetectionThreshold)
                && housekeepingInterval.equals(that.housekeepingInterval) && clock.equals(that.clock)
                && events.equals(that.events);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(name, maxSize, minIdle, acquisitionTimeout, validateIdle, validationBypass,
                validationTimeout, idleTimeout, maxLifetime, lifetimeJitter, keepaliveInterval, leakDetectionThreshold,
                creationConcurrency, housekeepingInterval, clock, events);
    }

    @Override
    public String toString() {
        return "PoolConfig[name=" + name + ", maxSize=" + maxSize + ", minIdle=" + minIdle
                + ", acquisitionTimeout=" + acquisitionTimeout + ", validateIdle=" + validateIdle
                + ", validationBypass=" + validationBypass + ", validationTimeout=" + validationTimeout
                + ", idleTimeout=" + idleTimeout + ", maxLifetime=" + maxLifetime + ", lifetimeJitter=" + lifetimeJitter
                + ", keepaliveInterval=" + keepaliveInterval + ", leakDetectionThreshold=" + leakDetectionThreshold
                + ", creationConcurrency=" + creationConcurrency + ", housekeepingInterval=" + housekeepingInterval + "]";
    }


    /** A builder with Strata's defaults for the dependency {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.maxSize = maxSize;
        b.minIdle = minIdle;
        b.acquisitionTimeout = acquisitionTimeout;
        b.validateIdle = validateIdle;
        b.validationBypass = validationBypass;
        b.validationTimeout = validationTimeout;
        b.idleTimeout = idleTimeout;
        b.maxLifetime = maxLifetime;
        b.lifetimeJitter = lifetimeJitter;
        b.keepaliveInterval = keepaliveInterval;
        b.leakDetectionThreshold = leakDetectionThreshold;
        b.creationConcurrency = creationConcurrency;
        b.housekeepingInterval = housekeepingInterval;
        b.clock = clock;
        b.events = events;
        return b;
    }

    /**
     * Collects settings. Defaults: max size 10, min idle 0, acquisition timeout 1 s (a starved
     * pool should fail fast, not hold the caller for 30 s), validation of resources idle longer
     * than 500 ms with a 1 s bound, idle timeout 10 min, max lifetime 30 min with 5% jitter,
     * keepalive every 60 s, leak detection off, at most 2 resources created at once.
     */
    public static final class Builder {
        private final String name;
        private int maxSize = 10;
        private int minIdle = 0;
        private Duration acquisitionTimeout = Duration.ofSeconds(1);
        private boolean validateIdle = true;
        private Duration validationBypass = Duration.ofMillis(500);
        private Duration validationTimeout = Duration.ofSeconds(1);
        private Duration idleTimeout = Duration.ofMinutes(10);
        private Duration maxLifetime = Duration.ofMinutes(30);
        private double lifetimeJitter = 0.05;
        private Duration keepaliveInterval = Duration.ofSeconds(60);
        private Duration leakDetectionThreshold = Duration.ZERO;
        private int creationConcurrency = 2;
        private Duration housekeepingInterval = Duration.ofSeconds(1);
        private Clock clock = Clock.system();
        private EventBus events;

        private Builder(String name) {
            this.name = name;
        }

        public Builder maxSize(int maxSize) {
            this.maxSize = maxSize;
            return this;
        }

        public Builder minIdle(int minIdle) {
            this.minIdle = minIdle;
            return this;
        }

        public Builder acquisitionTimeout(Duration acquisitionTimeout) {
            this.acquisitionTimeout = acquisitionTimeout;
            return this;
        }

        /** Validate resources idle longer than {@code bypass} before handing them out. */
        public Builder validateIdleLongerThan(Duration bypass) {
            this.validateIdle = true;
            this.validationBypass = bypass;
            return this;
        }

        /** Hand out idle resources without validating them (failures then surface to the caller, classified). */
        public Builder noValidation() {
            this.validateIdle = false;
            return this;
        }

        public Builder validationTimeout(Duration validationTimeout) {
            this.validationTimeout = validationTimeout;
            return this;
        }

        /** Zero keeps idle resources forever. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Zero lets resources live forever. */
        public Builder maxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
            return this;
        }

        public Builder lifetimeJitter(double lifetimeJitter) {
            this.lifetimeJitter = lifetimeJitter;
            return this;
        }

        /** Zero switches keepalive pings off. */
        public Builder keepaliveInterval(Duration keepaliveInterval) {
            this.keepaliveInterval = keepaliveInterval;
            return this;
        }

        /** Zero switches leak detection off. */
        public Builder leakDetectionThreshold(Duration leakDetectionThreshold) {
            this.leakDetectionThreshold = leakDetectionThreshold;
            return this;
        }

        public Builder creationConcurrency(int creationConcurrency) {
            this.creationConcurrency = creationConcurrency;
            return this;
        }

        public Builder housekeepingInterval(Duration housekeepingInterval) {
            this.housekeepingInterval = housekeepingInterval;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** The bus for pool events; by default a new bus chained to the root (which logs). */
        public Builder events(EventBus events) {
            this.events = events;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid field, its value and the allowed range */
        public PoolConfig build() {
            return new PoolConfig(this);
        }
    }
}
