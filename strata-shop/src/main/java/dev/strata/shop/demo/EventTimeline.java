package dev.strata.shop.demo;

import dev.strata.observe.EventListener;
import dev.strata.observe.StrataEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects the Strata events of the run, each stamped with the phase it happened in and the time
 * since the run started. Bounded: beyond {@link #MAX_EVENTS} events are counted, not kept.
 */
final class EventTimeline implements EventListener {

    static final int MAX_EVENTS = 20_000;

    /** One event with when and in which phase it happened. */
    record Entry(String phase, long offsetNanos, StrataEvent event) {
    }

    private final long startNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Entry> entries = new ArrayList<>();
    private volatile String phase = "start-up";
    private long dropped;

    EventTimeline(long startNanos) {
        this.startNanos = startNanos;
    }

    /** Events from now on belong to this phase. */
    void phase(String phase) {
        this.phase = phase;
    }

    @Override
    public void onEvent(StrataEvent event) {
        Entry entry = new Entry(phase, System.nanoTime() - startNanos, event);
        lock.lock();
        try {
            if (entries.size() < MAX_EVENTS) {
                entries.add(entry);
            } else {
                dropped++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The events of one phase, in order. */
    List<Entry> of(String phase) {
        lock.lock();
        try {
            return entries.stream().filter(e -> e.phase().equals(phase)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Events not kept because the timeline was full. */
    long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }
}
