package dev.strata.chaos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The toxics of one {@link ChaosProxy}: by name in the order they were added, and the same
 * entries as arrays by what they act on, rebuilt on every change. The pumps read one volatile
 * array per chunk, so a change applies from the next chunk on and the data path never locks or
 * allocates to find its toxics.
 */
final class ToxicChains {

    private static final ToxicEntry[] NONE = new ToxicEntry[0];

    private final AtomicLong ids = new AtomicLong();
    /** Changed only with the proxy's lock held; readers use the arrays. */
    private final LinkedHashMap<String, ToxicEntry> byName = new LinkedHashMap<>();
    private volatile ToxicEntry[] upstream = NONE;
    private volatile ToxicEntry[] downstream = NONE;
    private volatile ToxicEntry[] connectionWide = NONE;
    private volatile ToxicEntry[] timed = NONE;
    private volatile ToxicEntry[] all = NONE;

    /** The entry of that name, or null; with the proxy's lock held. */
    ToxicEntry get(String name) {
        return byName.get(name);
    }

    /**
     * Stores {@code toxic} as a new version (a fresh id, so connections roll and time it anew),
     * in place of one of the same name if any; with the proxy's lock held.
     */
    ToxicEntry put(Toxic toxic) {
        ToxicEntry entry = new ToxicEntry(ids.incrementAndGet(), toxic);
        byName.put(toxic.name(), entry);
        rebuild();
        return entry;
    }

    /** Removes the entry of that name and returns it, or null when there is none; with the proxy's lock held. */
    ToxicEntry remove(String name) {
        ToxicEntry removed = byName.remove(name);
        if (removed != null) {
            rebuild();
        }
        return removed;
    }

    /** The toxics acting on one direction's bytes, in the order added. */
    ToxicEntry[] chain(Direction direction) {
        return direction == Direction.UPSTREAM ? upstream : downstream;
    }

    /** The toxics acting on the whole connection (the idle ones). */
    ToxicEntry[] connectionWide() {
        return connectionWide;
    }

    /** The toxics the proxy's timer must check as time passes. */
    ToxicEntry[] timed() {
        return timed;
    }

    /** Every toxic, in the order added. */
    ToxicEntry[] all() {
        return all;
    }

    private void rebuild() {
        List<ToxicEntry> up = new ArrayList<>();
        List<ToxicEntry> down = new ArrayList<>();
        List<ToxicEntry> wide = new ArrayList<>();
        List<ToxicEntry> onTimer = new ArrayList<>();
        for (ToxicEntry entry : byName.values()) {
            if (entry.connectionWide()) {
                wide.add(entry);
            } else if (entry.toxic().stream() == Direction.UPSTREAM) {
                up.add(entry);
            } else {
                down.add(entry);
            }
            if (entry.timed()) {
                onTimer.add(entry);
            }
        }
        upstream = up.toArray(NONE);
        downstream = down.toArray(NONE);
        connectionWide = wide.toArray(NONE);
        timed = onTimer.toArray(NONE);
        all = byName.values().toArray(NONE);
    }
}
