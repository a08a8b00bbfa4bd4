package dev.strata.redis;

import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.resilience.CircuitBreaker;
import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes this instance's breaker states to Redis and reads everyone's, so a human or the
 * diagnosis can tell "payments open on 1 of 8 instances" (a local network problem) from "open on
 * 8 of 8" (payments is down).
 *
 * <p>Breakers stay per instance (architecture rule 7): by default the view is informational and
 * an instance's breaker never opens because other instances' breakers opened. Only with
 * {@link Builder#vote(double)} does a breaker open on the cluster's word, and then only when more
 * than the configured share of the live instances report their own breaker open; it is released
 * (reset) when the share falls back, or when Redis cannot be read, so a broken view never keeps a
 * healthy instance shut. An instance opened by a vote keeps reporting its own judgement
 * ({@code CLOSED}), so votes cannot feed themselves.
 *
 * <p>Reports carry the Redis server's time; an instance that has not reported within
 * {@code staleAfter} no longer counts. Every Redis call waits at most {@code timeout}; failures
 * leave the local breakers alone. Call {@link #publish()} yourself, or {@link #start(Duration)} a
 * single daemon thread that does it periodically until {@link #close()}; no exception ends that
 * thread's publishing. A streak of failed rounds is evented once at WARNING
 * ({@code breaker.cluster-publish-failed}) and its end at INFO ({@code breaker.cluster-publish-recovered}).
 */
public final class ClusterBreakerView implements AutoCloseable {

    private static final LuaScript PUBLISH = LuaScript.resource("breaker-publish.lua");
    private static final LuaScript READ = LuaScript.resource("breaker-read.lua");

    private final StatefulRedisConnection<String, String> connection;
    private final String instanceId;
    private final String keyPrefix;
    private final long staleAfterMillis;
    private final long timeoutNanos;
    private final double voteShare;
    private final EventBus events;
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> forcedByVote = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService scheduler;
    private volatile boolean failing;
    private volatile long failedRounds;

    private ClusterBreakerView(Builder b) {
        this.connection = b.connection;
        this.instanceId = b.instanceId;
        this.keyPrefix = b.keyPrefix;
        this.staleAfterMillis = b.staleAfter.toMillis();
        this.timeoutNanos = b.timeout.toNanos();
        this.voteShare = b.voteShare;
        this.events = b.events;
    }

    /** A builder for the view of instance {@code instanceId} on {@code connection}. */
    public static Builder builder(String instanceId, StatefulRedisConnection<String, String> connection) {
        return new Builder(instanceId, connection);
    }

    /** Adds a breaker whose state this instance publishes (under the breaker's name). */
    public ClusterBreakerView register(CircuitBreaker breaker) {
        breakers.put(breaker.name(), Objects.requireNonNull(breaker, "breaker"));
        return this;
    }

    /**
     * Publishes every registered breaker's own state and, with a vote configured, applies the
     * vote to each. Never throws for Redis trouble: what could not be published is skipped.
     *
     * @return how many breakers were published
     */
    public int publish() {
        int published = 0;
        Exception firstFailure = null;
        for (CircuitBreaker breaker : breakers.values()) {
            String own = Boolean.TRUE.equals(forcedByVote.get(breaker.name())) ? "CLOSED" : breaker.state().name();
            try {
                PUBLISH.call(connection, new String[] {keyPrefix + breaker.name()},
                        new String[] {instanceId, own, Long.toString(staleAfterMillis * 4)}, System.nanoTime() + timeoutNanos);
                published++;
            } catch (TimeoutException | ExecutionException | RuntimeException e) {
                // RuntimeException: Lettuce can throw synchronously (connection in a broken state)
                firstFailure = firstFailure == null ? e : firstFailure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return published;
            }
            if (voteShare > 0) {
                applyVote(breaker, view(breaker.name()));
            }
        }
        noteRound(firstFailure);
        return published;
    }

    /** The scheduled task: whatever one round throws, the next round still runs. */
    private void publishRound() {
        try {
            publish();
        } catch (RuntimeException e) {
            // a ScheduledExecutorService drops a periodic task for good once it throws
            noteRound(e);
        }
    }

    /** Events a failure streak once (WARNING), its later rounds at DEBUG, and its end (INFO). */
    private void noteRound(Exception failure) {
        if (failure == null) {
            if (failing) {
                failing = false;
                publishEvent(Level.INFO, "redis", "breaker.cluster-publish-recovered",
                        "breaker states reach Redis again after " + failedRounds + " failed round(s)");
                failedRounds = 0;
            }
            return;
        }
        failedRounds++;
        boolean first = !failing;
        failing = true;
        publishEvent(first ? Level.WARNING : Level.DEBUG, "redis", "breaker.cluster-publish-failed",
                "could not publish breaker states to Redis (the cluster view goes stale; local breakers are unaffected): " + failure);
    }

    private void applyVote(CircuitBreaker breaker, Optional<ClusterBreakerState> view) {
        String name = breaker.name();
        boolean forced = Boolean.TRUE.equals(forcedByVote.get(name));
        boolean voteOpen = view.isPresent() && view.get().total() > 0 && view.get().openShare() > voteShare;
        if (voteOpen && !forced && breaker.state() == CircuitBreaker.State.CLOSED) {
            forcedByVote.put(name, Boolean.TRUE);
            breaker.forceOpen();
            publishEvent(Level.WARNING, name, "breaker.cluster-vote-opened", "cluster vote: " + view.get().summary()
                    + " (more than " + Math.round(voteShare * 100) + "%): breaker opened here too");
        } else if (forced && !voteOpen) {
            forcedByVote.remove(name);
            if (breaker.state() == CircuitBreaker.State.FORCED_OPEN) {
                breaker.reset();
            }
            publishEvent(Level.INFO, name, "breaker.cluster-vote-released", view.map(v -> "cluster vote: " + v.summary()
                    + ", at most " + Math.round(voteShare * 100) + "%: breaker back to its own judgement")
                    .orElse("cluster view unavailable: breaker back to its own judgement"));
        }
    }

    /**
     * The instances' reports for {@code dependency}, or empty when Redis could not be read within
     * the timeout. Reports older than {@code staleAfter} are dropped.
     */
    public Optional<ClusterBreakerState> view(String dependency) {
        List<Object> reply;
        try {
            reply = READ.call(connection, new String[] {keyPrefix + dependency}, new String[] {Long.toString(staleAfterMillis)},
                    System.nanoTime() + timeoutNanos);
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        List<ClusterBreakerState.Instance> instances = new ArrayList<>();
        for (int i = 0; i + 2 < reply.size(); i += 3) {
            instances.add(new ClusterBreakerState.Instance((String) reply.get(i), (String) reply.get(i + 1),
                    Duration.ofMillis((Long) reply.get(i + 2))));
        }
        instances.sort((a, b) -> a.instanceId().compareTo(b.instanceId()));
        return Optional.of(new ClusterBreakerState(dependency, instances));
    }

    /** Whether {@code dependency}'s breaker here is open because of a cluster vote. */
    public boolean openedByVote(String dependency) {
        return Boolean.TRUE.equals(forcedByVote.get(dependency));
    }

    /**
     * Publishes every {@code interval} on one daemon thread until {@link #close()}.
     *
     * @throws IllegalStateException when already started
     */
    public synchronized ClusterBreakerView start(Duration interval) {
        if (interval == null || interval.compareTo(Duration.ofMillis(10)) < 0 || interval.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("interval: " + interval + " is out of range; allowed 10ms..10m");
        }
        if (scheduler != null) {
            throw new IllegalStateException("cluster breaker view " + instanceId + " already started");
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-cluster-breakers-" + instanceId);
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::publishRound, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Stops periodic publishing (waiting at most 5 s for a publish under way). Idempotent. */
    @Override
    public synchronized void close() {
        ScheduledExecutorService s = scheduler;
        scheduler = null;
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void publishEvent(Level level, String dependency, String type, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(System.currentTimeMillis(), dependency, type, Layer.RESILIENCE, level, null,
                    "[" + instanceId + "] " + message));
        }
    }

    /** Configuration of a {@link ClusterBreakerView}, validated by {@link #build()}. */
    public static final class Builder {
        private final String instanceId;
        private final StatefulRedisConnection<String, String> connection;
        private String keyPrefix = "strata:breakers:";
        private Duration staleAfter = Duration.ofSeconds(15);
        private Duration timeout = Duration.ofMillis(100);
        private double voteShare;
        private EventBus events = EventBus.root();

        private Builder(String instanceId, StatefulRedisConnection<String, String> connection) {
            if (instanceId == null || instanceId.isBlank() || instanceId.indexOf('|') >= 0) {
                throw new IllegalArgumentException("instanceId: '" + instanceId + "' is not allowed; must be non-blank without '|'");
            }
            if (connection == null) {
                throw new IllegalArgumentException("connection: null is not allowed");
            }
            this.instanceId = instanceId;
            this.connection = connection;
        }

        /** Prefix of the Redis hashes, followed by the dependency name; default {@code strata:breakers:}. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
            return this;
        }

        /** An instance that has not reported for this long no longer counts, 100 ms..1 h; default 15 s. */
        public Builder staleAfter(Duration staleAfter) {
            this.staleAfter = staleAfter;
            return this;
        }

        /** The longest wait for Redis per call, 1 ms..10 s; default 100 ms. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Opt in to voting: a registered breaker that is CLOSED here is forced open while more than
         * {@code share} (0.0 exclusive..1.0 exclusive, e.g. 0.5) of the live instances report their
         * own breaker open. Default: no vote (informational view only).
         */
        public Builder vote(double share) {
            this.voteShare = share;
            return this;
        }

        /** Where vote events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the field, value and allowed range
         */
        public ClusterBreakerView build() {
            if (staleAfter == null || staleAfter.compareTo(Duration.ofMillis(100)) < 0 || staleAfter.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("staleAfter: " + staleAfter + " is out of range; allowed 100ms..1h");
            }
            if (timeout == null || timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("timeout: " + timeout + " is out of range; allowed 1ms..10s");
            }
            if (voteShare != 0 && !(voteShare > 0 && voteShare < 1)) {
                throw new IllegalArgumentException("vote: " + voteShare + " is out of range; allowed 0.0 (exclusive)..1.0 (exclusive)");
            }
            return new ClusterBreakerView(this);
        }
    }
}
