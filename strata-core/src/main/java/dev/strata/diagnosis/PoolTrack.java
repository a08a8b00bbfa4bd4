package dev.strata.diagnosis;

import dev.strata.pool.PoolConfig;
import dev.strata.pool.PoolStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pool's recent stats samples (a fixed ring) and its hold time while healthy. Not thread-safe:
 * the intake samples and the rules read under one lock ({@link Intake#withPoolTracks}).
 *
 * <p>The ring always covers the diagnoser's whole window with at most {@value #POOL_SAMPLES}
 * slots: when the window holds more polls than that, each slot is a bucket of
 * {@code window / POOL_SAMPLES} that keeps the latest counters and the most waiters seen in it,
 * so a starvation early in a long window is not overwritten by later quiet samples.
 */
final class PoolTrack {

    private static final int POOL_SAMPLES = 512;

    /** {@code millis} is the latest poll merged into the slot, {@code startMillis} its first. */
    private record Sample(long millis, long acquisitions, long timeouts, int active, int waiting, int total, int maxSize,
                          long waitP99Nanos, long leaks, long startMillis) {

        /** This bucket with a later poll merged in: latest counters and gauges, the most waiters. */
        Sample merge(Sample later) {
            return new Sample(later.millis, later.acquisitions, later.timeouts, later.active, Math.max(waiting, later.waiting),
                    later.total, later.maxSize, Math.max(waitP99Nanos, later.waitP99Nanos), later.leaks, startMillis);
        }
    }

    /** What {@link #starvation} found: the verdict's text, numbers and start. */
    record Starvation(String summary, Map<String, Object> evidence, long sinceMillis, long lastMillis, String fix) {
    }

    private final Sample[] ring = new Sample[POOL_SAMPLES];
    /** How long one slot covers: 0 (one poll a slot) unless the window holds more polls than slots. */
    private final long bucketMillis;
    /** The previous poll itself (not its bucket), for the hold-time and leak deltas. */
    private Sample previousPoll;
    private int next;
    private int size;
    /** Mean time a connection is held per acquisition, measured while the pool was not saturated (EWMA). */
    private double healthyHoldMillis = -1;
    private long firstLeakMillis = Long.MAX_VALUE;
    private long lastLeakMillis = Long.MIN_VALUE;

    /**
     * A track whose ring covers {@code windowMillis} of polls every {@code pollMillis}.
     */
    PoolTrack(long windowMillis, long pollMillis) {
        long polls = windowMillis / Math.max(1, pollMillis) + 1;
        // +1 slot of slack so the oldest bucket still reaches back to the window's start
        this.bucketMillis = polls <= POOL_SAMPLES - 1 ? 0 : (windowMillis + POOL_SAMPLES - 2) / (POOL_SAMPLES - 1);
    }

    void sample(long now, PoolStats s) {
        Sample previous = previousPoll;
        Sample current = new Sample(now, s.acquisitions(), s.timeouts(), s.active(), s.waiting(), s.total(),
                s.maxSize(), s.waitP99().toNanos(), s.leaksReported(), now);
        previousPoll = current;
        Sample last = size == 0 ? null : ring[(next + POOL_SAMPLES - 1) % POOL_SAMPLES];
        if (last != null && bucketMillis > 0 && now - last.startMillis() < bucketMillis) {
            ring[(next + POOL_SAMPLES - 1) % POOL_SAMPLES] = last.merge(current);
        } else {
            ring[next] = current;
            next = (next + 1) % POOL_SAMPLES;
            size = Math.min(size + 1, POOL_SAMPLES);
        }
        if (previous != null && s.leaksReported() > previous.leaks()) {
            firstLeakMillis = Math.min(firstLeakMillis, now);
            lastLeakMillis = now;
        }
        if (previous != null && current.millis() > previous.millis()) {
            long served = current.acquisitions() - previous.acquisitions();
            boolean saturated = current.waiting() > 0 || previous.waiting() > 0
                    || current.timeouts() > previous.timeouts() || current.active() >= current.maxSize();
            if (served > 0 && !saturated) {
                // Little's law: connections busy on average = acquisitions per ms x hold time
                double busy = (current.active() + previous.active()) / 2.0;
                double hold = busy * (current.millis() - previous.millis()) / served;
                healthyHoldMillis = healthyHoldMillis < 0 ? hold : 0.8 * healthyHoldMillis + 0.2 * hold;
            }
        }
    }

    private List<Sample> since(long fromMillis) {
        List<Sample> out = new ArrayList<>();
        for (int k = 0; k < size; k++) {
            Sample s = ring[(next + POOL_SAMPLES - size + k) % POOL_SAMPLES];
            if (s.millis() >= fromMillis) {
                out.add(s);
            }
        }
        return out;
    }

    /** How far back the ring reaches now (the oldest slot's first poll), or {@code Long.MAX_VALUE} when empty. */
    long oldestMillis() {
        return size == 0 ? Long.MAX_VALUE : ring[(next + POOL_SAMPLES - size) % POOL_SAMPLES].startMillis();
    }

    /** Slots in use: at most {@value #POOL_SAMPLES} whatever the window. */
    int slots() {
        return size;
    }

    long leaksSince(long fromMillis) {
        List<Sample> w = since(fromMillis);
        if (w.size() < 2) {
            return 0;
        }
        return w.getLast().leaks() - w.getFirst().leaks();
    }

    Starvation starvation(long fromMillis, PoolConfig config) {
        List<Sample> w = since(fromMillis);
        if (w.size() < 2) {
            return null;
        }
        Sample first = w.getFirst();
        Sample last = w.getLast();
        long timeouts = last.timeouts() - first.timeouts();
        int maxWaiting = 0;
        long starvedSince = Long.MAX_VALUE;
        long starvedLast = Long.MIN_VALUE;
        int starvedSamples = 0;
        long busySum = 0;
        for (int i = 0; i < w.size(); i++) {
            Sample s = w.get(i);
            maxWaiting = Math.max(maxWaiting, s.waiting());
            boolean starved = s.waiting() > 0 || (i > 0 && s.timeouts() > w.get(i - 1).timeouts());
            if (starved) {
                starvedSamples++;
                starvedSince = Math.min(starvedSince, s.millis());
                starvedLast = s.millis();
            }
            busySum += s.active();
        }
        if (timeouts == 0 && starvedSamples < 2) {
            return null; // one sample with a waiter is a burst, not starvation
        }
        // Measure over the starved stretch only, so the quiet time before the fault does not dilute it.
        long stretchStart = Math.min(starvedSince, last.millis());
        List<Sample> starvedWindow = w.stream().filter(s -> s.millis() >= stretchStart).toList();
        Sample a = starvedWindow.size() >= 2 ? starvedWindow.getFirst() : first;
        double seconds = Math.max(0.001, (last.millis() - a.millis()) / 1000.0);
        long served = last.acquisitions() - a.acquisitions();
        long refused = last.timeouts() - a.timeouts();
        double servedPerSecond = served / seconds;
        double offeredPerSecond = (served + refused) / seconds;
        double busy = starvedWindow.stream().mapToInt(Sample::active).average().orElse(busySum / (double) w.size());
        // Nothing served during the stretch: no connection has changed hands since the last
        // acquisition, so every one of them has been held at least since then.
        boolean lowerBound = servedPerSecond == 0;
        double holdMillis;
        if (lowerBound) {
            long since = last.millis();
            for (int i = w.size() - 1; i >= 0 && w.get(i).acquisitions() == last.acquisitions(); i--) {
                since = w.get(i).millis();
            }
            holdMillis = Math.max(1, last.millis() - since);
        } else {
            holdMillis = busy / servedPerSecond * 1000;
        }
        boolean slowQueries = healthyHoldMillis > 0 && holdMillis >= 3 * healthyHoldMillis;
        double holdForSizing = slowQueries ? healthyHoldMillis : holdMillis;
        long needed = (long) Math.ceil(offeredPerSecond * holdForSizing / 1000.0 * 1.5);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("cause", slowQueries ? "slow-queries" : "pool-too-small");
        ev.put("maxSize", last.maxSize());
        ev.put("active", last.active());
        ev.put("maxWaiting", maxWaiting);
        ev.put("acquisitionTimeouts", timeouts);
        ev.put("acquisitionTimeoutMillis", config.acquisitionTimeout().toMillis());
        ev.put("waitP99Millis", last.waitP99Nanos() / 1_000_000);
        ev.put("servedPerSecond", round1(servedPerSecond));
        ev.put("offeredPerSecond", round1(offeredPerSecond));
        ev.put("holdMillis", round1(holdMillis));
        ev.put("holdIsLowerBound", lowerBound);
        ev.put("healthyHoldMillis", healthyHoldMillis < 0 ? "not measured" : round1(healthyHoldMillis));
        ev.put("littlesLawSize", needed);
        String summary;
        String fix;
        if (slowQueries) {
            summary = "pool of " + last.maxSize() + " starved because each borrower holds a connection "
                    + ev.get("holdMillis") + " ms instead of " + ev.get("healthyHoldMillis") + " ms: slow queries, not"
                    + " too few connections (" + timeouts + " acquisition timeouts, up to " + maxWaiting + " waiting)";
            fix = "find what made the work slow (the dependency, a lock, a plan) and bound it (statement timeout,"
                    + " attempt timeout); do not grow the pool, it would only queue more work on a slow server";
        } else {
            summary = "pool of " + last.maxSize() + " is too small for the load: " + ev.get("offeredPerSecond")
                    + " acquisitions/s x " + ev.get("holdMillis") + " ms held needs about " + needed
                    + " connections by Little's law (x1.5) (" + timeouts + " acquisition timeouts, up to " + maxWaiting
                    + " waiting)";
            fix = "size the pool to rate x hold time x 1.5 (" + needed + ") within the server's connection budget,"
                    + " or shed load before the pool; keep the acquisition timeout short so waiters fail fast";
        }
        // A pool that still has waiters, or refused in its last sample, is starving now.
        return new Starvation(summary, ev, starvedSince == Long.MAX_VALUE ? last.millis() : starvedSince,
                starvedLast == Long.MIN_VALUE ? first.millis() : starvedLast, fix);
    }

    /** When the pool's leak counter last rose, or {@code Long.MIN_VALUE}. */
    long lastLeakMillis() {
        return lastLeakMillis;
    }

    /** When the pool's leak counter first rose, or {@code Long.MAX_VALUE}. */
    long firstLeakMillis() {
        return firstLeakMillis;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
