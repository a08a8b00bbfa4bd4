package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.resilience.CircuitBreaker.Metrics;
import dev.strata.resilience.CircuitBreaker.State;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link CircuitBreaker.Mode#TIME_WINDOW}: per-second buckets over the last {@code seconds} seconds
 * of the clock, with running totals. Buckets age out when the window is next recorded into or read.
 */
final class TimeWindow implements SlidingWindow {

    private static final long SECOND = 1_000_000_000L;

    private final ReentrantLock lock = new ReentrantLock();
    private final Clock clock;
    private final long origin;
    private final int[] calls;
    private final int[] failures;
    private final int[] slows;
    private long currentSecond;
    private int buffered;
    private int failed;
    private int slow;

    TimeWindow(int seconds, Clock clock) {
        this.clock = clock;
        this.origin = clock.nanoTime();
        this.calls = new int[seconds];
        this.failures = new int[seconds];
        this.slows = new int[seconds];
    }

    @Override
    public boolean record(boolean failure, boolean slowCall, WindowThresholds thresholds) {
        lock.lock();
        try {
            expire();
            int i = (int) (currentSecond % calls.length);
            calls[i]++;
            buffered++;
            if (failure) {
                failures[i]++;
                failed++;
            }
            if (slowCall) {
                slows[i]++;
                slow++;
            }
            return thresholds.crossed(buffered, failed, slow);
        } finally {
            lock.unlock();
        }
    }

    /** Drops the outcomes of the seconds that went by; called under the lock. */
    private void expire() {
        long now = (clock.nanoTime() - origin) / SECOND;
        if (now == currentSecond) {
            return;
        }
        // Empty the buckets of the seconds that went by; at most one full turn of the ring.
        long steps = Math.min(now - currentSecond, calls.length);
        for (long s = 1; s <= steps; s++) {
            int i = (int) ((currentSecond + s) % calls.length);
            buffered -= calls[i];
            failed -= failures[i];
            slow -= slows[i];
            calls[i] = failures[i] = slows[i] = 0;
        }
        currentSecond = now;
    }

    @Override
    public void clear() {
        lock.lock();
        try {
            Arrays.fill(calls, 0);
            Arrays.fill(failures, 0);
            Arrays.fill(slows, 0);
            buffered = failed = slow = 0;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Metrics snapshot(State state, long notPermittedCalls, int consecutiveFailures) {
        lock.lock();
        try {
            expire();
            return SlidingWindow.metrics(state, buffered, failed, slow, notPermittedCalls, consecutiveFailures);
        } finally {
            lock.unlock();
        }
    }
}
