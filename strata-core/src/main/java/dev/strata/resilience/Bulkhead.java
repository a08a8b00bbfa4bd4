package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.AbstractQueuedLongSynchronizer;

/**
 * Limits how many calls to one dependency run at the same time, so a slow dependency can tie up
 * at most {@code maxConcurrentCalls} callers instead of all of them.
 *
 * <p>When every slot is taken a call is refused at once by default; with a {@code maxWait} it
 * waits in a fair FIFO queue for at most that long, and never past the current {@link Deadline}.
 * There is no unbounded queue: every wait has a bound of at most 60 s.
 *
 * <p>Thread-safe and virtual-thread friendly: slots are the permits of a fair
 * synchronizer (see {@code Slots}), so a waiting virtual thread unmounts. The non-waiting paths allocate nothing.
 */
public final class Bulkhead {

    private static final long MAX_WAIT_LIMIT_NANOS = Duration.ofSeconds(60).toNanos();

    private final String name;
    /** Read only when no slot is free (the waiting path); see {@link #reconfigure}. */
    private volatile long maxWaitNanos;
    private final Clock clock;
    private final EventBus events;
    private final Slots slots;
    private final LongAdder rejected = new LongAdder();

    private Bulkhead(Builder b) {
        this.name = b.name;
        this.maxWaitNanos = b.maxWait.toNanos();
        this.clock = b.clock;
        this.events = b.events;
        this.slots = new Slots(b.maxConcurrentCalls, name);
    }

    /** A builder for a bulkhead named after the dependency it protects. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The name given at build time. */
    public String name() {
        return name;
    }

    /**
     * Takes a slot if one is free right now. Never blocks. On true the caller must call
     * {@link #release()} exactly once when the call ends.
     */
    public boolean tryAcquire() {
        if (slots.tryTake()) {
            return true;
        }
        reject(0L);
        return false;
    }

    /**
     * Takes a slot, waiting in FIFO order for at most the smallest of {@code maxWaitNanos}, the
     * configured {@code maxWait} and the time left on the current {@link Deadline}. On true the
     * caller must call {@link #release()} exactly once when the call ends.
     *
     * @throws InterruptedException when the thread is interrupted while waiting (no slot is held)
     */
    public boolean tryAcquire(long maxWaitNanos) throws InterruptedException {
        if (slots.tryTake()) {
            return true; // a free slot is taken whatever the time left: no need to read the deadline
        }
        long wait = Deadline.remainingNanosOr(Math.min(maxWaitNanos, this.maxWaitNanos));
        if (wait <= 0) {
            reject(0L);
            return false;
        }
        long start = clock.nanoTime();
        if (slots.tryAcquireSharedNanos(1, wait)) {
            return true;
        }
        reject(clock.nanoTime() - start);
        return false;
    }

    private void reject(long waitedNanos) {
        rejected.increment();
        if (events.isActive(Level.DEBUG)) {
            String waited = waitedNanos > 0 ? " after waiting " + Durations.format(waitedNanos) : "";
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, "bulkhead.full", Layer.RESILIENCE,
                    Level.DEBUG, Fault.of(FaultKind.BULKHEAD_FULL),
                    "bulkhead full: all " + maxConcurrentCalls() + " slots in use" + waited + "; call rejected"));
        }
    }

    /**
     * Gives back a slot taken by a successful {@code tryAcquire}.
     *
     * @throws IllegalStateException when no slot is held (more releases than acquisitions)
     */
    public void release() {
        slots.releaseShared(1); // checks and gives back in one atomic step: two racing releases cannot both pass
    }

    /** Slots in use now. */
    public int inUse() {
        return slots.inUse();
    }

    /** Free slots now. */
    public int available() {
        return slots.available();
    }

    /** The configured limit. */
    public int maxConcurrentCalls() {
        return slots.capacity();
    }

    /** The configured longest wait for a slot. */
    public Duration maxWait() {
        return Duration.ofNanos(maxWaitNanos);
    }

    /**
     * Changes the limit and the longest wait while calls run. Calls holding a slot keep it: when
     * the limit shrinks below the slots in use, no new call is admitted until enough of them have
     * ended; when it grows, waiting calls are admitted at once. Slots taken and given back are
     * counted against the new limit from now on; a call never holds more than one slot.
     *
     * @throws IllegalArgumentException when {@code maxConcurrentCalls} is not 1..10000 or
     *     {@code maxWait} not 0..60 s; nothing changes then
     */
    public void reconfigure(int maxConcurrentCalls, Duration maxWait) {
        Require.between("maxConcurrentCalls", maxConcurrentCalls, 1, 10_000);
        Require.between("maxWait", maxWait, Duration.ZERO, Duration.ofNanos(MAX_WAIT_LIMIT_NANOS));
        this.maxWaitNanos = maxWait.toNanos();
        slots.resize(maxConcurrentCalls);
    }

    /** Calls refused since the bulkhead was built. */
    public long rejectedCount() {
        return rejected.sum();
    }

    /**
     * Runs the call in a slot, waiting at most the configured {@code maxWait} (and the current
     * deadline) for one. The slot is released when the call ends, however it ends.
     *
     * @throws BulkheadFullException when no slot became free in time (the call is not run)
     * @throws InterruptedException when interrupted while waiting for a slot
     * @throws Exception whatever the call throws, unchanged
     */
    public <T> T execute(Callable<T> call) throws Exception {
        long start = maxWaitNanos > 0 ? clock.nanoTime() : 0L;
        boolean acquired = maxWaitNanos > 0 ? tryAcquire(maxWaitNanos) : tryAcquire();
        if (!acquired) {
            throw new BulkheadFullException(name, maxConcurrentCalls(), maxWaitNanos > 0 ? clock.nanoTime() - start : 0L);
        }
        try {
            return call.call();
        } finally {
            slots.releaseShared(1);
        }
    }

    @Override
    public String toString() {
        return "Bulkhead[" + name + ", " + inUse() + "/" + maxConcurrentCalls() + " in use]";
    }

    /**
     * Configuration of a {@link Bulkhead}, validated by {@link #build()}. Defaults: 25 concurrent
     * calls, no wait (reject at once), system clock, root event bus.
     */
    /**
     * The slots: a fair counting synchronizer like {@code Semaphore(n, true)}, except that giving
     * back a slot is one compare-and-set that refuses to go past the capacity. A semaphore's
     * release cannot refuse, so "check the count, then release" let two racing releases of one
     * slot both pass and mint a slot. The state holds the capacity (high 32 bits) and the free
     * slots (low 32 bits, negative while a shrunk limit waits for calls to end) in one word, so a
     * resize and a release can never disagree about the capacity.
     */
    private static final class Slots extends AbstractQueuedLongSynchronizer {
        private final String name;

        Slots(int capacity, String name) {
            this.name = name;
            setState(word(capacity, capacity));
        }

        private static long word(int capacity, int free) {
            return ((long) capacity << 32) | (free & 0xFFFF_FFFFL);
        }

        private static int free(long word) {
            return (int) word;
        }

        private static int capacity(long word) {
            return (int) (word >>> 32);
        }

        int available() {
            return Math.max(0, free(getState()));
        }

        int capacity() {
            return capacity(getState());
        }

        int inUse() {
            long w = getState();
            return capacity(w) - free(w);
        }

        /** Takes a free slot now, even when others wait (as {@code Semaphore.tryAcquire()} does); never blocks. */
        boolean tryTake() {
            for (long w = getState(); free(w) > 0; w = getState()) {
                if (compareAndSetState(w, w - 1)) {
                    return true;
                }
            }
            return false;
        }

        /** Sets a new capacity, keeping the slots in use; wakes waiters when slots became free. */
        void resize(int capacity) {
            releaseShared(-capacity); // a negative argument is a resize, see tryReleaseShared
        }

        @Override
        protected long tryAcquireShared(long ignored) {
            if (hasQueuedPredecessors()) {
                return -1; // fair: first come, first served among waiters
            }
            for (;;) {
                long w = getState();
                int left = free(w) - 1;
                if (left < 0) {
                    return -1;
                }
                if (compareAndSetState(w, w - 1)) {
                    return left;
                }
            }
        }

        @Override
        protected boolean tryReleaseShared(long arg) {
            for (;;) {
                long w = getState();
                int capacity = capacity(w);
                int free = free(w);
                if (arg < 0) {
                    int next = (int) -arg;
                    if (compareAndSetState(w, word(next, free + next - capacity))) {
                        return free + next - capacity > 0;
                    }
                    continue;
                }
                if (free >= capacity) {
                    throw new IllegalStateException("bulkhead " + name + ": release() without a held slot");
                }
                if (compareAndSetState(w, word(capacity, free + 1))) { // not w + 1: a negative count would carry
                    return true;
                }
            }
        }
    }

    public static final class Builder {
        private final String name;
        private int maxConcurrentCalls = 25;
        private Duration maxWait = Duration.ZERO;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder(String name) {
            this.name = Require.notBlank("name", name);
        }

        /** Calls allowed to run at once, 1..10000; default 25. */
        public Builder maxConcurrentCalls(int maxConcurrentCalls) {
            this.maxConcurrentCalls = maxConcurrentCalls;
            return this;
        }

        /** Longest wait for a free slot, 0..60 s; default 0 (reject at once when full). */
        public Builder maxWait(Duration maxWait) {
            this.maxWait = maxWait;
            return this;
        }

        /** The time source for measuring waits and stamping events; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Where rejection events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /** Validates the configuration and builds the bulkhead. */
        public Bulkhead build() {
            Require.between("maxConcurrentCalls", maxConcurrentCalls, 1, 10_000);
            Require.between("maxWait", maxWait, Duration.ZERO, Duration.ofNanos(MAX_WAIT_LIMIT_NANOS));
            return new Bulkhead(this);
        }
    }
}
