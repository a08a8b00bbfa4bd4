package dev.strata.dashboard;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the dashboard shows, sampled once a second from the {@code strata.*} meters of a
 * {@link MeterRegistry} (bound by {@code StrataMetrics}) and grouped into the four layers,
 * bottom-up: L1 connects, connect failures, resets, stale connections and DNS failures; L2 pools
 * and limiters; L3 breakers, retries, budgets, bulkheads and fallbacks; L4 the runtime, its
 * health and configuration. Each layer and each row gets a status: {@code healthy},
 * {@code degraded} or {@code broken}, by the rules in {@code docs/metrics.md}.
 *
 * <p>Rates are per second over the last {@value #RATE_WINDOW_SECONDS} seconds, so a status does not
 * flicker between samples. The last {@value #HISTORY} samples are kept for a browser that connects
 * later; every sample is pushed to the connected browsers as a server-sent event.
 *
 * <p>The feed samples on one daemon thread of its own and never touches the policies: only the
 * registry's meters, which read the policies' own counters. {@link #close()} stops it and ends
 * every stream.
 */
public final class DashboardFeed implements AutoCloseable {

    /** Samples kept: five minutes at one a second. */
    public static final int HISTORY = 300;
    static final int RATE_WINDOW_SECONDS = 5;

    private final LayerPanels panels;
    private final FeedSubscribers subscribers = new FeedSubscribers();
    private final ScheduledExecutorService sampler;

    private DashboardFeed(MeterRegistry registry, Supplier<Map<String, Object>> l4Info,
                          Supplier<List<Map<String, Object>>> verdicts, Duration interval) {
        this.panels = new LayerPanels(registry, l4Info, verdicts);
        this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-dashboard-sampler");
            t.setDaemon(true);
            return t;
        });
        sampleNow();
        sampler.scheduleAtFixedRate(this::sampleSafely, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Starts sampling {@code registry} every second.
     *
     * @param l4Info extra rows for the L4 panel (name -> value, e.g. config file, health), read each
     *     sample; a {@code "status"} entry of {@code healthy|degraded|broken} overrides the panel's status
     * @param verdicts the diagnosis's current verdicts, each a map with {@code layer}, {@code severity}
     *     and {@code text}; shown above the panels (an empty list hides the strip)
     */
    public static DashboardFeed start(MeterRegistry registry, Supplier<Map<String, Object>> l4Info,
                                      Supplier<List<Map<String, Object>>> verdicts) {
        return start(registry, l4Info, verdicts, Duration.ofSeconds(1));
    }

    static DashboardFeed start(MeterRegistry registry, Supplier<Map<String, Object>> l4Info,
                               Supplier<List<Map<String, Object>>> verdicts, Duration interval) {
        Objects.requireNonNull(registry, "registry");
        if (interval.toMillis() < 10 || interval.toSeconds() > 60) {
            throw new IllegalArgumentException("interval: " + interval + " is not allowed; allowed 10ms..60s");
        }
        return new DashboardFeed(registry, l4Info == null ? Map::of : l4Info, verdicts == null ? List::of : verdicts,
                interval);
    }

    /** The latest sample as JSON. */
    public String latest() {
        return subscribers.latest();
    }

    /** The kept samples as a JSON array, oldest first. */
    public String historyJson() {
        return subscribers.historyJson();
    }

    /**
     * Registers a browser: returns a queue that receives each new sample's JSON, and the feed's end
     * marker (see {@link #isEnd}) when the feed closes. A browser that falls
     * {@value FeedSubscribers#QUEUE_CAPACITY} samples behind is dropped. Remove it with
     * {@link #unsubscribe} when its connection ends.
     */
    BlockingQueue<String> subscribe() {
        return subscribers.subscribe();
    }

    void unsubscribe(BlockingQueue<String> queue) {
        subscribers.unsubscribe(queue);
    }

    static boolean isEnd(String message) {
        return FeedSubscribers.isEnd(message);
    }

    /**
     * Ends every open stream as soon as {@code runtime} starts its graceful shutdown (its
     * {@code shutdown.begin} event), and answers later streams with the history only: a stream
     * served as in-flight work would otherwise hold the shutdown to its full budget. The browser
     * reconnects by itself while the instance still serves; the page keeps its charts.
     */
    public DashboardFeed endStreamsOnShutdown(dev.strata.application.Strata runtime) {
        Objects.requireNonNull(runtime, "runtime");
        runtime.events().subscribe(event -> {
            if ("shutdown.begin".equals(event.type())) {
                endStreams();
            }
        });
        return this;
    }

    /**
     * Ends every open stream now and answers later ones with the history only, while the feed
     * keeps sampling ({@link #latest()} stays current). Idempotent.
     */
    public void endStreams() {
        subscribers.markClosed();
        subscribers.endAll();
    }

    /** Browsers connected now. */
    public int clients() {
        return subscribers.count();
    }

    private void sampleSafely() {
        try {
            sampleNow();
        } catch (RuntimeException e) {
            // A broken gauge must not stop the dashboard: the next sample tries again.
            System.getLogger("dev.strata").log(System.Logger.Level.WARNING, "dashboard sample failed", e);
        }
    }

    void sampleNow() {
        subscribers.publish(panels.sample());
    }

    /** Stops sampling and ends every stream. Idempotent. */
    @Override
    public void close() {
        subscribers.markClosed();
        sampler.shutdownNow();
        try {
            sampler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        subscribers.endAll(); // after the sampler stopped, so no sample follows the end marker
    }
}
