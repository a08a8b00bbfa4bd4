package dev.strata.resource;

import dev.strata.call.Clock;
import dev.strata.internal.Require;
import dev.strata.observe.EventBus;
import java.time.Duration;

/**
 * Immutable settings of a {@link Pool}, validated when built. Durations of zero mean "off" where
 * the field says so. Build with {@link #builder(String)}.
 *
 * @param name the dependency's name, used in log lines, events and fault messages
 * @param maxSize most resources open at once, idle and in use together
 * @param minIdle resources the pool keeps open and idle, created at start (warm-up) and after evictions
 * @param acquisitionTimeout longest a borrower waits for a resource; a shorter current deadline wins
 * @param validateIdle whether a resource idle longer than {@code validationBypass} is validated on borrow
 * @param validationBypass how long after its last known-good use a resource is trusted without validation
 * @param validationTimeout bound on one validation or keepalive round trip
 * @param idleTimeout idle resources above {@code minIdle} are closed after this long; zero = never
 * @param maxLifetime resources are retired after this age (minus jitter); zero = never
 * @param lifetimeJitter fraction of {@code maxLifetime} randomly subtracted per resource, so they do not all retire at once
 * @param keepaliveInterval idle resources are pinged this often; keep it below the server's or NAT's idle timeout; zero = off
 * @param leakDetectionThreshold a resource held longer is reported with the borrower's stack; zero = off
 * @param creationConcurrency most resources being created at once (warm-up and borrowers together)
 * @param housekeepingInterval how often the housekeeper checks idle timeout, lifetime, keepalive, leaks and min idle
 *     (at least twice per keepalive interval, whatever this says)
 * @param clock time source for ages and idle times
 * @param events where the pool publishes its events
 */
public record PoolConfig(
        String name,
        int maxSize,
        int minIdle,
        Duration acquisitionTimeout,
        boolean validateIdle,
        Duration validationBypass,
        Duration validationTimeout,
        Duration idleTimeout,
        Duration maxLifetime,
        double lifetimeJitter,
        Duration keepaliveInterval,
        Duration leakDetectionThreshold,
        int creationConcurrency,
        Duration housekeepingInterval,
        Clock clock,
        EventBus events) {

    /** Largest pool this class accepts; a bigger one is a configuration mistake. */
    public static final int MAX_POOL_SIZE = 10_000;

    private static final Duration ZERO = Duration.ZERO;
    private static final Duration DAY = Duration.ofDays(1);

    public PoolConfig {
        Require.notBlank("name", name);
        Require.between("maxSize", maxSize, 1, MAX_POOL_SIZE);
        Require.between("minIdle", minIdle, 0, maxSize);
        Require.between("acquisitionTimeout", acquisitionTimeout, Duration.ofMillis(1), Duration.ofMinutes(10));
        Require.between("validationBypass", validationBypass, ZERO, DAY);
        Require.between("validationTimeout", validationTimeout, Duration.ofMillis(1), Duration.ofMinutes(1));
        Require.between("idleTimeout", idleTimeout, ZERO, DAY);
        Require.between("maxLifetime", maxLifetime, ZERO, Duration.ofDays(30));
        Require.between("lifetimeJitter", lifetimeJitter, 0.0, 0.5);
        Require.between("keepaliveInterval", keepaliveInterval, ZERO, DAY);
        Require.between("leakDetectionThreshold", leakDetectionThreshold, ZERO, DAY);
        Require.between("creationConcurrency", creationConcurrency, 1, 64);
        Require.between("housekeepingInterval", housekeepingInterval, Duration.ofMillis(10), Duration.ofMinutes(5));
        Require.nonNull("clock", clock);
        Require.nonNull("events", events);
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
            return new PoolConfig(name, maxSize, minIdle, acquisitionTimeout, validateIdle, validationBypass,
                    validationTimeout, idleTimeout, maxLifetime, lifetimeJitter, keepaliveInterval,
                    leakDetectionThreshold, creationConcurrency, housekeepingInterval, clock,
                    events == null ? EventBus.create() : events);
        }
    }
}
