package dev.strata.call;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when told to, for testing state machines without sleeping.
 * {@link #sleep(long)} advances the clock by the requested amount and returns at once, so
 * code under test sees exactly the time it asked to wait. Thread-safe.
 */
public final class ManualClock implements Clock {

    private final AtomicLong nanos = new AtomicLong();
    private final AtomicLong sleptNanos = new AtomicLong();
    private final long epochMillisAtZero;

    public ManualClock() {
        this(1_700_000_000_000L);
    }

    public ManualClock(long epochMillisAtZero) {
        this.epochMillisAtZero = epochMillisAtZero;
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public long currentTimeMillis() {
        return epochMillisAtZero + nanos.get() / 1_000_000L;
    }

    @Override
    public void sleep(long nanosToSleep) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (nanosToSleep > 0) {
            nanos.addAndGet(nanosToSleep);
            sleptNanos.addAndGet(nanosToSleep);
        }
    }

    /** Moves time forward. */
    public ManualClock advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
        return this;
    }

    /** Total time spent in {@link #sleep(long)} so far. */
    public Duration slept() {
        return Duration.ofNanos(sleptNanos.get());
    }
}
