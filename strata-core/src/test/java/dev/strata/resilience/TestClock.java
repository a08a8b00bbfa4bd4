package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.call.ManualClock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link ManualClock} that remembers every sleep and can run a hook on each, e.g. to open a breaker mid-backoff. */
final class TestClock implements Clock {

    final ManualClock manual = new ManualClock();
    final List<Long> sleeps = new CopyOnWriteArrayList<>();
    volatile Runnable onSleep = () -> { };

    @Override
    public long nanoTime() {
        return manual.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return manual.currentTimeMillis();
    }

    @Override
    public void sleep(long nanos) throws InterruptedException {
        sleeps.add(nanos);
        manual.sleep(nanos);
        onSleep.run();
    }

    long sleptNanos() {
        return sleeps.stream().mapToLong(Long::longValue).sum();
    }
}
