package dev.strata.ratelimit;

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
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-process {@link RateLimiter} with one state per key, for any of the
 * {@link RateLimitAlgorithm algorithms}. Use it for per-client limits on one instance, or with a
 * constant key to throttle calls to a dependency; for a limit shared by several instances use a
 * Redis-backed limiter ({@code strata-redis}).
 *
 * <h2>Memory</h2>
 * Keys live in a {@link ConcurrentHashMap}. A key whose state is <em>at rest</em> (its window has
 * passed, its bucket is full, its log is empty) carries no information: forgetting it changes no
 * future decision, so such idle keys are dropped by {@link #evictIdle()} and automatically
 * whenever the number of keys reaches {@code maxKeys}. A key with an active quota is never
 * dropped: dropping it would reset its quota, so a client rotating keys to fill the cap would
 * hand every other client a fresh burst. When the cap is reached and no key is at rest, a new key
 * is decided against one <em>overflow</em> state that all such keys share (the policy's quota for
 * all of them together) until sweeps free room; at most one sweep runs per eighth of the window
 * (at most 1 s), so a flood of new keys does not scan the map per request. Overflow decisions are
 * counted ({@link #overflowCount()}) and evented once per streak (WARNING). Memory is
 * therefore bounded by {@code maxKeys} times the per-key cost documented in {@code docs/rate-limiting.md}
 * (about 120 B for {@link RateLimitAlgorithm#GCRA} with a 16-character key). No background thread
 * is started; sweeps run on the caller that finds the cap reached (one at a time), or on whoever
 * calls {@link #evictIdle()}.
 *
 * <h2>Time</h2>
 * A decision reads the clock once, before it takes the key's state, so when other callers
 * decide in between its reading is older than what the state has seen. Such a stale reading is
 * decided against the newest state, never the other way round: a window index never moves
 * backwards (a reading from the previous window is counted in the current one and cannot reset
 * it), the sliding log records it at the newest time it holds, a bucket's refill time stays
 * where it is, and a key dropped by a sweep starts again no earlier than the sweep. A stale
 * reading is thus never admitted where an up-to-date one would be refused. The times in a
 * {@link RateLimitDecision} are measured from the caller's own reading.
 *
 * <h2>Cost</h2>
 * A decision reads the clock once, looks the key up, and updates its state: by one
 * compare-and-set for {@link RateLimitAlgorithm#FIXED_WINDOW} and {@link RateLimitAlgorithm#GCRA},
 * under a short lock for the others. Only a key's first request allocates (its state).
 */
public final class LocalRateLimiter implements RateLimiter {

    /**
     * The value of a one-word state ({@link Algorithm.Cell}) removed from the map; no live state
     * has it. A decision that meets it looks the key up again.
     */
    static final long DEAD = -1L;

    private final RateLimitPolicy policy;
    private final Algorithm algorithm;
    private final Clock clock;
    private final long origin;
    private final int maxKeys;
    private final EventBus events;
    private final ConcurrentHashMap<String, Object> states;
    private final ReentrantLock sweepLock = new ReentrantLock();
    private final LongAdder rejected = new LongAdder();
    private final AtomicLong evictedIdle = new AtomicLong();
    /**
     * The latest time a sweep dropped states at (written under {@code sweepLock}, before any
     * state is retired). A state created later starts no earlier: a caller whose reading
     * predates the sweep must not find the dropped window or bucket anew at its old time.
     */
    private volatile long sweptAt;
    /** Shared by every key that finds the cap full with no key at rest; never retired. */
    private final Object overflow;
    private final LongAdder overflowed = new LongAdder();
    /** Limiter time before which a full map is not swept again (written under {@code sweepLock}). */
    private volatile long nextSweepAt = Long.MIN_VALUE;
    /** Whether the cap is full with no key at rest; the overflow streak is evented when it starts. */
    private volatile boolean overflowing;
    private final long sweepSpacingNanos;

    private LocalRateLimiter(Builder b, RateLimitPolicy policy) {
        this.policy = policy;
        this.clock = b.clock;
        this.origin = clock.nanoTime();
        this.maxKeys = b.maxKeys;
        this.events = b.events;
        this.states = new ConcurrentHashMap<>(Math.min(maxKeys, 1024));
        this.algorithm = switch (policy.algorithm()) {
            case FIXED_WINDOW -> new FixedWindow(policy);
            case SLIDING_LOG -> new SlidingLog(policy);
            case SLIDING_WINDOW_COUNTER -> new SlidingWindowCounter(policy);
            case TOKEN_BUCKET -> new TokenBucket(policy);
            case GCRA -> new Gcra(policy);
        };
        this.overflow = algorithm.newState(0);
        this.sweepSpacingNanos = Math.max(1_000_000L, Math.min(1_000_000_000L, policy.window().toNanos() / 8));
    }

    /**
     * A builder for a limiter named {@code name} (the name appears in headers, events and
     * faults). Defaults: {@link RateLimitAlgorithm#GCRA}, 100 per second, burst = limit,
     * 1,000,000 keys, system clock, root event bus.
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    @Override
    public RateLimitPolicy policy() {
        return policy;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public boolean tryAcquire(String key, int permits) {
        return decide(key, permits, null);
    }

    @Override
    public boolean tryAcquire(String key, int permits, RateLimitDecision into) {
        return decide(key, permits, Objects.requireNonNull(into, "into"));
    }

    private boolean decide(String key, int permits, RateLimitDecision into) {
        if (permits < 1 || permits > policy.burst()) {
            throw new IllegalArgumentException("permits: " + permits + " is out of range; allowed 1.." + policy.burst());
        }
        long now = clock.nanoTime() - origin;
        while (true) {
            Object state = states.get(key); // a null key fails here with a NullPointerException, as a map would
            if (state == null) {
                state = insert(key, now);
            }
            switch (algorithm.decide(state, now, permits, into)) {
                case GRANTED -> {
                    return true;
                }
                case REFUSED -> {
                    reject(key, permits, state, now, into);
                    return false;
                }
                case RETIRED -> {
                    // evicted while we held it: make sure it is gone (the sweeper may not have removed it yet), look again
                    states.remove(key, state);
                }
            }
        }
    }

    private Object insert(String key, long now) {
        if (states.size() >= maxKeys && !makeRoom(now)) {
            overflowed.increment();
            return overflow; // not stored: the key is looked up again on its next request
        }
        // read after the key was found missing or retired, so any sweep that dropped it is seen
        Object fresh = algorithm.newState(Math.max(now, sweptAt));
        Object raced = states.putIfAbsent(key, fresh);
        return raced != null ? raced : fresh;
    }

    private void reject(String key, int permits, Object state, long now, RateLimitDecision into) {
        rejected.increment();
        if (events.isActive(Level.DEBUG)) {
            long retryAfterNanos = into != null ? into.retryAfterNanos() : retryAfter(state, now, permits);
            events.publish(new BasicEvent(clock.currentTimeMillis(), policy.name(), "ratelimit.rejected", Layer.RESOURCE,
                    Level.DEBUG, new Fault(FaultKind.RATE_LIMITED, "key " + key, Duration.ofNanos(retryAfterNanos)),
                    "rate limit " + policy + " reached for key '" + key + "' (" + permits + " permit"
                            + (permits == 1 ? "" : "s") + " asked); next in " + Durations.format(retryAfterNanos)));
        }
    }

    /**
     * The wait a refusal announced, for a caller that kept no decision: decided again on a copy
     * of the state, which takes nothing (and may find the permits free by now: then 0).
     */
    private long retryAfter(Object state, long now, int permits) {
        RateLimitDecision d = new RateLimitDecision();
        return algorithm.decide(algorithm.snapshot(state), now, permits, d) == Algorithm.Verdict.REFUSED
                ? d.retryAfterNanos() : 0L;
    }

    /**
     * Drops every key whose state is at rest (it would decide exactly as a new key), returning
     * memory without changing any future decision. Safe to call at any time from any thread, for
     * example periodically from a scheduler; takes time proportional to the number of keys.
     *
     * @return how many keys were dropped
     */
    public int evictIdle() {
        sweepLock.lock();
        try {
            return sweepIdle(clock.nanoTime() - origin);
        } finally {
            sweepLock.unlock();
        }
    }

    private int sweepIdle(long now) {
        markSweep(now);
        int dropped = 0;
        for (Map.Entry<String, Object> e : states.entrySet()) {
            Object state = e.getValue();
            if (algorithm.retireIfAtRest(state, now)) {
                states.remove(e.getKey(), state);
                dropped++;
            }
        }
        evictedIdle.addAndGet(dropped);
        return dropped;
    }

    /** Sweeps idle keys when the cap is reached; whether there is room for a new key now. */
    private boolean makeRoom(long now) {
        if (now < nextSweepAt || !sweepLock.tryLock()) {
            // swept a moment ago (or another caller is sweeping): room only if that sweep freed some
            return states.size() < maxKeys;
        }
        try {
            if (states.size() < maxKeys) {
                return true;
            }
            sweepIdle(now);
            nextSweepAt = now + sweepSpacingNanos;
            boolean room = states.size() < maxKeys;
            if (room) {
                overflowing = false;
            } else if (!overflowing) {
                overflowing = true;
                if (events.isActive(Level.WARNING)) {
                    events.publish(new BasicEvent(clock.currentTimeMillis(), policy.name(), "ratelimit.keys-overflow",
                            Layer.RESOURCE, Level.WARNING, null,
                            "key cap " + maxKeys + " reached with no idle key: new keys share one quota ("
                                    + policy + ") until held keys come to rest; no held key is dropped"));
                }
            }
            return room;
        } finally {
            sweepLock.unlock();
        }
    }

    /** Must hold {@code sweepLock}. */
    private void markSweep(long now) {
        if (now > sweptAt) {
            sweptAt = now;
        }
    }

    /** Keys currently held. */
    public int keys() {
        return states.size();
    }

    /** The cap on keys. */
    public int maxKeys() {
        return maxKeys;
    }

    /** Requests refused since the limiter was built. */
    public long rejectedCount() {
        return rejected.sum();
    }

    /** Idle keys dropped (without effect on decisions) since the limiter was built. */
    public long evictedIdleCount() {
        return evictedIdle.get();
    }

    /** Decisions made on the shared overflow state because the cap was full with no key at rest. */
    public long overflowCount() {
        return overflowed.sum();
    }

    /**
     * Permits the key's state holds in memory right now, for the sliding log (whose memory grows
     * with its traffic) the length of its timestamp array; for the other algorithms 0 (constant
     * state). For tests and diagnostics.
     */
    public int storedTimestamps(String key) {
        Object state = states.get(key);
        return state instanceof SlidingLog.Log log ? log.capacity() : 0;
    }

    @Override
    public String toString() {
        return "LocalRateLimiter[" + policy + ", " + keys() + " keys]";
    }

    /**
     * Configuration of a {@link LocalRateLimiter}, validated by {@link #build()}.
     */
    public static final class Builder {
        private final String name;
        private RateLimitAlgorithm algorithm = RateLimitAlgorithm.GCRA;
        private long limit = 100;
        private Duration window = Duration.ofSeconds(1);
        private long burst = -1;
        private int maxKeys = 1_000_000;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** The admission algorithm; default {@link RateLimitAlgorithm#GCRA}. */
        public Builder algorithm(RateLimitAlgorithm algorithm) {
            this.algorithm = Require.nonNull("algorithm", algorithm);
            return this;
        }

        /** At most {@code limit} (1..2^31-1) permits per {@code window} (1 ms..1 day) for each key; default 100 per second. */
        public Builder limit(long limit, Duration window) {
            this.limit = limit;
            this.window = window;
            return this;
        }

        /**
         * For {@link RateLimitAlgorithm#TOKEN_BUCKET} and {@link RateLimitAlgorithm#GCRA}: the
         * most permits taken at once after a quiet period (the bucket's size); default the limit.
         */
        public Builder burst(long burst) {
            this.burst = burst;
            return this;
        }

        /** The cap on keys held at once, 1..100,000,000; default 1,000,000. */
        public Builder maxKeys(int maxKeys) {
            this.maxKeys = maxKeys;
            return this;
        }

        /** The time source; default the system clock. Tests pass a {@code ManualClock}. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Where rejection and eviction events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /**
         * Validates the configuration and builds the limiter.
         *
         * @throws IllegalArgumentException naming the field, value and allowed range
         */
        public LocalRateLimiter build() {
            RateLimitPolicy policy = new RateLimitPolicy(name, algorithm, limit, window, burst < 0 ? limit : burst);
            Require.between("maxKeys", maxKeys, 1, 100_000_000);
            long interval = policy.emissionIntervalNanos();
            if (policy.burst() > (1L << 61) / interval) {
                throw new IllegalArgumentException("burst: " + policy.burst() + " is out of range for "
                        + limit + " per " + Durations.format(window) + "; allowed 1.." + (1L << 61) / interval
                        + " (the bucket must refill within about 73 years)");
            }
            return new LocalRateLimiter(this, policy);
        }
    }
}
