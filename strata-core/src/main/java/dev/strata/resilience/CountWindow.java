package dev.strata.resilience;

import dev.strata.resilience.CircuitBreaker.Metrics;
import dev.strata.resilience.CircuitBreaker.State;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link CircuitBreaker.Mode#COUNT_WINDOW}: the last {@code size} outcomes in a ring of bytes,
 * with running totals.
 */
final class CountWindow implements SlidingWindow {

    private static final byte EMPTY = 0;
    private static final byte FAILED = 1;
    private static final byte SLOW = 2;
    private static final byte RECORDED = 4;

    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] ring;
    private int head;
    private int buffered;
    private int failed;
    private int slow;

    CountWindow(int size) {
        this.ring = new byte[size];
    }

    @Override
    public boolean record(boolean failure, boolean slowCall, WindowThresholds thresholds) {
        byte outcome = (byte) (RECORDED | (failure ? FAILED : 0) | (slowCall ? SLOW : 0));
        lock.lock();
        try {
            int i = head;
            head = i + 1 == ring.length ? 0 : i + 1;
            byte old = ring[i];
            ring[i] = outcome;
            if (old == EMPTY) {
                buffered++;
            } else {
                failed -= old & FAILED;
                slow -= (old & SLOW) >> 1;
            }
            failed += outcome & FAILED;
            slow += (outcome & SLOW) >> 1;
            return thresholds.crossed(buffered, failed, slow);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void clear() {
        lock.lock();
        try {
            Arrays.fill(ring, EMPTY);
            head = 0;
            buffered = failed = slow = 0;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Metrics snapshot(State state, long notPermittedCalls, int consecutiveFailures) {
        lock.lock();
        try {
            return SlidingWindow.metrics(state, buffered, failed, slow, notPermittedCalls, consecutiveFailures);
        } finally {
            lock.unlock();
        }
    }
}
