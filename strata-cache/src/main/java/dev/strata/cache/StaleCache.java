package dev.strata.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Pipeline;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A read-through cache in front of one dependency that keeps serving when the dependency fails,
 * but never beyond a stated staleness, and says how stale each value is.
 *
 * <ul>
 *   <li><b>Fresh</b>: a value younger than {@code freshFor} is served from the cache.</li>
 *   <li><b>Refresh ahead</b>: a value older than {@code refreshAfter} (but still fresh) is served,
 *       and one background reload starts on a virtual thread, through the dependency's pipeline
 *       (its timeouts, retries and breaker), so hot keys rarely wait for a load.</li>
 *   <li><b>Load</b>: a missing or no longer fresh value is loaded through the pipeline by the first
 *       caller; concurrent callers for the same key join that one load (single flight: a thousand
 *       concurrent misses make one call), waiting no longer than the current {@link Deadline}
 *       and {@code maxJoinWait}.</li>
 *   <li><b>Stale on failure</b>: when the load fails (or a joined load outlasts the wait), the
 *       last good value is served if it is at most {@code maxStaleness} old, marked
 *       {@link CacheResult.Source#STALE} with its age and the fault; older values are never served
 *       and the failure is thrown.</li>
 *   <li><b>No poisoned keys</b>: whatever a load throws, an {@link Error} included, its in-flight
 *       entry completes exactly once and is removed, so joined callers wake at once and the next
 *       {@code get} loads again. An {@code Error} is rethrown to the loading caller (joined callers
 *       get an {@code IllegalStateException} caused by it) and is never answered with a stale value.</li>
 * </ul>
 *
 * <p>Storage is a size-bounded Caffeine cache whose entries expire {@code maxStaleness} after they
 * were loaded (nothing older can be served). Stale serves, refresh failures and too-stale
 * refusals are counted and evented ({@code cache.stale-served}, {@code cache.refresh-failed},
 * {@code cache.too-stale}). Thread-safe.
 *
 * @param <K> key type
 * @param <V> value type (null values are not cached: a loader returning null is a failure)
 */
public final class StaleCache<K, V> {

    /** Loads the value of one key from the dependency. */
    @FunctionalInterface
    public interface Loader<K, V> {
        V load(K key) throws Exception;
    }

    private record Entry<V>(V value, long loadedAt) {
    }

    private final String name;
    private final Loader<K, V> loader;
    private final Pipeline pipeline;
    private final long freshNanos;
    private final long refreshNanos;
    private final long maxStaleNanos;
    private final long maxJoinWaitNanos;
    private final Clock clock;
    private final EventBus events;
    private final Cache<K, Entry<V>> entries;
    private final ConcurrentHashMap<K, CompletableFuture<Entry<V>>> inFlight = new ConcurrentHashMap<>();
    private final LongAdder loads = new LongAdder();
    private final LongAdder staleServed = new LongAdder();
    private final LongAdder refreshes = new LongAdder();

    private StaleCache(Builder b, Loader<K, V> loader) {
        this.name = b.name;
        this.loader = loader;
        this.pipeline = b.pipeline != null ? b.pipeline : Pipeline.builder(b.name).clock(b.clock).events(b.events).build();
        this.freshNanos = b.freshFor.toNanos();
        this.refreshNanos = b.refreshAfter == null ? Long.MAX_VALUE : b.refreshAfter.toNanos();
        this.maxStaleNanos = b.maxStaleness.toNanos();
        this.maxJoinWaitNanos = b.maxJoinWait.toNanos();
        this.clock = b.clock;
        this.events = b.events;
        Clock c = b.clock;
        this.entries = Caffeine.newBuilder().maximumSize(b.maximumSize).ticker(c::nanoTime)
                .expireAfterWrite(b.maxStaleness)
                .executor(Runnable::run) // maintenance on the calling thread: no pool threads behind the user's back
                .build();
    }

    /** A builder for the cache of dependency {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * The value of {@code key}: fresh from the cache, loaded (once for all concurrent callers), or
     * stale within {@code maxStaleness} when loading fails.
     *
     * @throws RuntimeException the load's failure as the pipeline reports it, when no value young
     *         enough can stand in
     * @throws Error what the loader threw, to the caller that ran the load (the key is released first)
     */
    public CacheResult<V> get(K key) {
        Objects.requireNonNull(key, "key");
        long now = clock.nanoTime();
        Entry<V> cached = entries.getIfPresent(key);
        if (cached != null) {
            long age = now - cached.loadedAt;
            if (age < freshNanos) {
                if (age >= refreshNanos) {
                    refreshInBackground(key);
                }
                return new CacheResult<>(cached.value, CacheResult.Source.CACHED, Duration.ofNanos(age), null);
            }
        }
        CompletableFuture<Entry<V>> mine = new CompletableFuture<>();
        CompletableFuture<Entry<V>> running = inFlight.putIfAbsent(key, mine);
        if (running == null) {
            return loadNow(key, mine, cached);
        }
        return join(key, running, cached);
    }

    private CacheResult<V> loadNow(K key, CompletableFuture<Entry<V>> mine, Entry<V> cached) {
        Entry<V> loaded;
        try {
            loaded = load(key);
        } catch (Throwable failure) {
            // Whatever the loader threw (an Error too), the in-flight entry is removed and completed
            // exactly once, so joiners wake now and the next get loads again instead of joining a dead load.
            inFlight.remove(key, mine);
            mine.completeExceptionally(failure);
            if (failure instanceof RuntimeException r) {
                return staleOrThrow(key, cached, r);
            }
            throw sneaky(failure); // an Error (or a checked exception thrown sneakily) is not a dependency fault: no stale serve
        }
        inFlight.remove(key, mine);
        mine.complete(loaded);
        return new CacheResult<>(loaded.value, CacheResult.Source.LOADED, Duration.ZERO, null);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    private Entry<V> load(K key) {
        loads.increment();
        V value = pipeline.execute(() -> {
            V v = loader.load(key);
            if (v == null) {
                throw new IllegalStateException("cache " + name + ": the loader returned null for key " + key);
            }
            return v;
        });
        Entry<V> entry = new Entry<>(value, clock.nanoTime());
        entries.put(key, entry);
        return entry;
    }

    private CacheResult<V> join(K key, CompletableFuture<Entry<V>> running, Entry<V> cached) {
        long wait = Deadline.remainingNanosOr(maxJoinWaitNanos);
        try {
            Entry<V> loaded = running.get(wait, TimeUnit.NANOSECONDS);
            return new CacheResult<>(loaded.value, CacheResult.Source.LOADED, Duration.ofNanos(clock.nanoTime() - loaded.loadedAt), null);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                return staleOrThrow(key, cached, r);
            }
            // the leader's load ended with an Error: each joiner gets its own exception, caused by it
            throw new IllegalStateException("cache " + name + ": the load of " + key + " started by another caller failed with "
                    + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            return staleOrThrow(key, cached, new dev.strata.fault.StrataException(dev.strata.fault.FaultKind.DEADLINE_EXCEEDED, name,
                    "waited " + format(wait) + " for the load of " + key + " started by another caller"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return staleOrThrow(key, cached, new dev.strata.fault.StrataException(dev.strata.fault.FaultKind.DEADLINE_EXCEEDED, name,
                    "interrupted while waiting for the load of " + key));
        }
    }

    private CacheResult<V> staleOrThrow(K key, Entry<V> cached, RuntimeException failure) {
        Fault fault = FaultClassifier.DEFAULT.classify(failure);
        if (cached == null) {
            throw failure;
        }
        long age = clock.nanoTime() - cached.loadedAt;
        if (age > maxStaleNanos) {
            publish(Level.WARNING, "cache.too-stale", fault, "load of '" + key + "' failed (" + fault + ") and the last good value is "
                    + format(age) + " old, beyond the " + format(maxStaleNanos) + " allowed: not served");
            throw failure;
        }
        staleServed.increment();
        publish(Level.WARNING, "cache.stale-served", fault, "load of '" + key + "' failed (" + fault + "); served the value loaded "
                + format(age) + " ago (max staleness " + format(maxStaleNanos) + ")");
        return new CacheResult<>(cached.value, CacheResult.Source.STALE, Duration.ofNanos(age), fault);
    }

    private void refreshInBackground(K key) {
        CompletableFuture<Entry<V>> mine = new CompletableFuture<>();
        if (inFlight.putIfAbsent(key, mine) != null) {
            return; // a load or refresh is already on its way
        }
        refreshes.increment();
        Runnable refresh = () -> {
            try {
                mine.complete(load(key));
            } catch (Throwable failure) {
                mine.completeExceptionally(failure);
                publish(Level.WARNING, "cache.refresh-failed", FaultClassifier.DEFAULT.classify(failure),
                        "refresh ahead of '" + key + "' failed (" + FaultClassifier.DEFAULT.classify(failure)
                                + "); the cached value is served until it is no longer fresh");
            } finally {
                inFlight.remove(key, mine);
            }
        };
        try {
            Thread.ofVirtual().name("strata-cache-refresh-" + name).start(refresh);
        } catch (Throwable notStarted) {
            // no thread, no refresh: release the key so a later get loads it, and keep serving the cached value
            inFlight.remove(key, mine);
            mine.completeExceptionally(notStarted);
        }
    }

    private void publish(Level level, String type, Fault fault, String message) {
        if (events.isActive(level)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.RESOURCE, level, fault, message));
        }
    }

    /** {@code 250ms}, {@code 12.5s}, {@code 4m12s}: ages for humans (core's formatter is not exported). */
    static String format(long nanos) {
        long ms = nanos / 1_000_000;
        if (ms < 1_000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return (ms / 100) / 10.0 + "s";
        }
        long s = ms / 1000;
        return s / 60 + "m" + (s % 60 < 10 ? "0" : "") + s % 60 + "s";
    }

    static String format(Duration d) {
        return format(d.toNanos());
    }

    /** Calls made to the loader (loads and refreshes) since the cache was built. */
    public long loadCount() {
        return loads.sum();
    }

    /** Values served stale since the cache was built. */
    public long staleServedCount() {
        return staleServed.sum();
    }

    /** Background refreshes started since the cache was built. */
    public long refreshCount() {
        return refreshes.sum();
    }

    /** Whether a load or refresh of {@code key} is running now. */
    public boolean isLoading(K key) {
        return inFlight.containsKey(key);
    }

    /** Forgets {@code key}: the next get loads it. */
    public void invalidate(K key) {
        entries.invalidate(key);
    }

    /** Values held (approximate, as Caffeine counts). */
    public long size() {
        return entries.estimatedSize();
    }

    @Override
    public String toString() {
        return "StaleCache[" + name + ", fresh " + format(freshNanos) + ", max staleness " + format(maxStaleNanos) + "]";
    }

    /** Configuration of a {@link StaleCache}, validated by {@link #build(Loader)}. */
    public static final class Builder {
        private final String name;
        private Pipeline pipeline;
        private Duration freshFor = Duration.ofSeconds(30);
        private Duration refreshAfter;
        private Duration maxStaleness = Duration.ofMinutes(10);
        private Duration maxJoinWait = Duration.ofSeconds(30);
        private long maximumSize = 10_000;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name: '" + name + "' is not allowed; must be a non-blank name");
            }
            this.name = name;
        }

        /** The dependency's pipeline every load and refresh goes through; default a pipeline with no policies. */
        public Builder pipeline(Pipeline pipeline) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            return this;
        }

        /** How long a loaded value is served without asking the dependency, 1 ms..1 day; default 30 s. */
        public Builder freshFor(Duration freshFor) {
            this.freshFor = freshFor;
            return this;
        }

        /** Age after which a fresh value is reloaded in the background, below {@code freshFor}; default none. */
        public Builder refreshAfter(Duration refreshAfter) {
            this.refreshAfter = refreshAfter;
            return this;
        }

        /** The oldest value ever served when loading fails, at least {@code freshFor}, at most 7 days; default 10 min. */
        public Builder maxStaleness(Duration maxStaleness) {
            this.maxStaleness = maxStaleness;
            return this;
        }

        /** Longest wait for a load another caller started (also bounded by the deadline), 0..5 min; default 30 s. */
        public Builder maxJoinWait(Duration maxJoinWait) {
            this.maxJoinWait = maxJoinWait;
            return this;
        }

        /** The most values held, 1..100,000,000 (Caffeine's size eviction beyond); default 10,000. */
        public Builder maximumSize(long maximumSize) {
            this.maximumSize = maximumSize;
            return this;
        }

        /** The clock for ages (and Caffeine's ticker); default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where stale-served, refresh-failed and too-stale events go; default the root bus. */
        public Builder events(EventBus events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /**
         * Validates and builds a cache that loads with {@code loader}.
         *
         * @throws IllegalArgumentException naming the field, value and allowed range
         */
        public <K, V> StaleCache<K, V> build(Loader<K, V> loader) {
            Objects.requireNonNull(loader, "loader");
            check("freshFor", freshFor, Duration.ofMillis(1), Duration.ofDays(1));
            check("maxStaleness", maxStaleness, freshFor, Duration.ofDays(7));
            check("maxJoinWait", maxJoinWait, Duration.ZERO, Duration.ofMinutes(5));
            if (refreshAfter != null) {
                check("refreshAfter", refreshAfter, Duration.ofMillis(1), freshFor.minusNanos(1));
            }
            if (maximumSize < 1 || maximumSize > 100_000_000) {
                throw new IllegalArgumentException("maximumSize: " + maximumSize + " is out of range; allowed 1..100000000");
            }
            return new StaleCache<>(this, loader);
        }

        private static void check(String field, Duration value, Duration min, Duration max) {
            if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(field + ": " + (value == null ? "null" : format(value))
                        + " is out of range; allowed " + format(min) + ".." + format(max));
            }
        }
    }
}
