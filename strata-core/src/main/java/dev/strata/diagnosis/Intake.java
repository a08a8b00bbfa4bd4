package dev.strata.diagnosis;

import dev.strata.call.Clock;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.observe.EventListener;
import dev.strata.observe.StrataEvent;
import dev.strata.pool.Pool;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * What a {@link Diagnoser} takes in: the source's events, filed into one bounded
 * {@link EventWindow} per dependency (at most {@link Diagnoser#MAX_DEPENDENCIES}, the rest under
 * {@link Diagnoser#OTHER}); its pools' stats, sampled into a {@link PoolTrack} each on the
 * poller's own thread; and the latencies measured by {@link Diagnoser#latencyProbe probes}.
 * Subscribes and starts the poller when made; {@link #close()} stops both. Thread-safe.
 */
final class Intake implements AutoCloseable {

    private final DiagnosisSource source;
    private final Clock clock;
    private final long windowMillis;
    private final long pollMillis;
    private final ConcurrentHashMap<String, EventWindow> windows = new ConcurrentHashMap<>();
    private final Map<Pool<?>, PoolTrack> pools = new IdentityHashMap<>();
    private final ConcurrentHashMap<String, LatencyTrack> latencies = new ConcurrentHashMap<>();
    private final ReentrantLock poolLock = new ReentrantLock();
    private final AutoCloseable subscription;
    private final ScheduledExecutorService poller;

    Intake(DiagnosisSource source, Clock clock, long windowMillis, long pollMillis) {
        this.source = source;
        this.clock = clock;
        this.windowMillis = windowMillis;
        this.pollMillis = pollMillis;
        EventListener listener = this::onEvent;
        this.subscription = source.events().subscribe(listener);
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-diagnoser");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollQuietly, 0, pollMillis, TimeUnit.MILLISECONDS);
    }

    private void onEvent(StrataEvent event) {
        String dependency = event.dependency() == null ? Diagnoser.OTHER : event.dependency();
        EventWindow window = windows.get(dependency);
        if (window == null) {
            if (windows.size() >= Diagnoser.MAX_DEPENDENCIES) {
                dependency = Diagnoser.OTHER;
            }
            window = windows.computeIfAbsent(dependency, d -> new EventWindow(d, (int) Math.max(2, windowMillis / 1000 + 1)));
        }
        window.accept(event);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            // A source that fails to enumerate must not stop the poller; the next tick tries again.
            System.getLogger("dev.strata").log(System.Logger.Level.DEBUG, "diagnoser poll failed", e);
        }
    }

    /** Samples every pool's stats once and forgets pools the source no longer lists. */
    void poll() {
        long now = clock.currentTimeMillis();
        poolLock.lock();
        try {
            Set<Pool<?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (DiagnosisSource.PoolView view : source.pools()) {
                seen.add(view.pool());
                pools.computeIfAbsent(view.pool(), p -> new PoolTrack(windowMillis, pollMillis)).sample(now, view.pool().stats());
            }
            pools.keySet().retainAll(seen);
        } finally {
            poolLock.unlock();
        }
    }

    /** The dependency's latency track, made on first use. */
    LatencyTrack latencyTrack(String dependency) {
        return latencies.computeIfAbsent(dependency, d -> new LatencyTrack());
    }

    /** The dependency's latency track, or null when nothing probes it. */
    LatencyTrack latency(String dependency) {
        return latencies.get(dependency);
    }

    /** Dependencies with an event window now. */
    int trackedDependencies() {
        return windows.size();
    }

    /** Each event window's totals over the window ending at {@code nowMillis}, by dependency. */
    Map<String, Totals> totals(long nowMillis) {
        Map<String, Totals> totals = new LinkedHashMap<>();
        for (EventWindow w : windows.values()) {
            totals.put(w.dependency(), w.totals(nowMillis, windowMillis));
        }
        return totals;
    }

    /** Runs {@code reader} on the pool tracks (by pool identity) with the poller kept out. */
    void withPoolTracks(Consumer<Map<Pool<?>, PoolTrack>> reader) {
        poolLock.lock();
        try {
            reader.accept(Collections.unmodifiableMap(pools));
        } finally {
            poolLock.unlock();
        }
    }

    /** Unsubscribes and stops the poller; what was taken in stays readable. */
    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not unsubscribe the diagnoser", e);
        } finally {
            poller.shutdownNow();
            try {
                poller.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
