package dev.strata.pool;

import dev.strata.call.Clock;
import dev.strata.internal.Durations;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The single virtual thread that keeps a {@link Pool} in shape between borrows, every
 * housekeeping interval: warms it up to {@code minIdle} (through the {@link PoolCreator}), pings
 * idle resources at the keepalive interval, retires idle and aged resources and reports leaks.
 * Borrowers never wait for it; it stops when the pool closes.
 */
final class PoolHousekeeper<R> {

    private final Pool<R> pool;
    private final PoolConfig config;
    private final ResourceFactory<R> factory;
    private final Clock clock;
    private final PoolEntries<R> entries;
    private final PoolCreator<R> creator;
    private final PoolMetrics metrics;
    private final PoolEvents events;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Thread thread;

    PoolHousekeeper(Pool<R> pool, PoolConfig config, ResourceFactory<R> factory, PoolEntries<R> entries,
                    PoolCreator<R> creator, PoolMetrics metrics, PoolEvents events) {
        this.pool = pool;
        this.config = config;
        this.factory = factory;
        this.clock = config.clock();
        this.entries = entries;
        this.creator = creator;
        this.metrics = metrics;
        this.events = events;
        this.thread = Thread.ofVirtual().name("strata-pool-" + config.name() + "-housekeeper").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Wakes the thread from its sleep between rounds, so it sees the pool closed at once. */
    void wakeUp() {
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits at most {@code timeout} for the thread to end (at once when it never started). */
    void awaitStop(Duration timeout) {
        try {
            thread.join(timeout);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    private void run() {
        // Ping often enough that no idle resource goes much past its keepalive interval unpinged.
        long keepaliveNanos = config.keepaliveInterval().toNanos();
        long tickNanos = config.housekeepingInterval().toNanos();
        if (keepaliveNanos > 0) {
            tickNanos = Math.max(10_000_000L, Math.min(tickNanos, keepaliveNanos / 2));
        }
        while (!pool.isClosed()) {
            try {
                creator.fillToMinIdle();
                retireAndPingIdle();
                reportLeaks();
            } catch (RuntimeException unexpected) {
                events.publish("pool.housekeeping-failed", Level.WARNING, null, "housekeeping failed: " + unexpected);
            }
            lock.lock();
            try {
                if (!pool.isClosed()) {
                    wake.awaitNanos(tickNanos);
                }
            } catch (InterruptedException interrupted) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    private void retireAndPingIdle() {
        long keepaliveNanos = config.keepaliveInterval().toNanos();
        long idleTimeoutNanos = config.idleTimeout().toNanos();
        for (PoolEntry<R> entry : entries.snapshot()) {
            if (pool.isClosed()) {
                return;
            }
            if (entry.state() != PoolEntry.IDLE) {
                continue;
            }
            long now = clock.nanoTime();
            EvictionReason retireFor = entry.retirementDue(now) ? EvictionReason.MAX_LIFETIME
                    : idleTimeoutNanos > 0 && now - entry.lastReturnedNanos > idleTimeoutNanos
                            && entries.total() > config.minIdle() ? EvictionReason.IDLE_TIMEOUT : null;
            boolean ping = retireFor == null && keepaliveNanos > 0 && now - entry.lastVerifiedNanos >= keepaliveNanos;
            if ((retireFor == null && !ping) || !entry.claim(PoolEntry.IDLE, PoolEntry.RESERVED)) {
                continue; // nothing due, or a borrower took it meanwhile
            }
            if (retireFor != null) {
                pool.retire(entry, retireFor);
            } else if (factory.keepalive(entry.resource, config.validationTimeout())) {
                entry.lastVerifiedNanos = clock.nanoTime();
                pool.handOffOrIdle(entry);
            } else {
                pool.replaceStale(entry, now - entry.lastVerifiedNanos, "keepalive-failed", clock.nanoTime() - now,
                        config.validationTimeout().toNanos());
            }
        }
    }

    private void reportLeaks() {
        long thresholdNanos = config.leakDetectionThreshold().toNanos();
        if (thresholdNanos == 0) {
            return;
        }
        long now = clock.nanoTime();
        for (PoolEntry<R> entry : entries.snapshot()) {
            Throwable site = entry.borrowSite;
            if (entry.borrowed && !entry.leakReported && site != null && now - entry.borrowedAtNanos > thresholdNanos) {
                entry.leakReported = true;
                events.publish("pool.leak-suspected", Level.WARNING, null,
                        "resource held for " + Durations.format(now - entry.borrowedAtNanos) + ", longer than the leak threshold "
                                + Durations.format(thresholdNanos) + "; acquired at" + stackOf(site));
                metrics.leakReported(); // after the event, so whoever sees the count finds the report
            }
        }
    }

    private static String stackOf(Throwable site) {
        StringBuilder text = new StringBuilder();
        StackTraceElement[] frames = site.getStackTrace();
        int first = 0;
        while (first < frames.length && isPoolFrame(frames[first].getClassName())) {
            first++; // the pool's own frames say nothing about who leaked
        }
        for (int i = first; i < Math.min(frames.length, first + 12); i++) {
            text.append("\n\tat ").append(frames[i]);
        }
        return text.toString();
    }

    // The JDBC layer wraps this pool and its frames say as little about who leaked, but the pool
    // must not import it: those two are named, not referenced.
    private static final String[] OWN_FRAMES = {
        Pool.class.getName(), Lease.class.getName(), "dev.strata.jdbc.StrataDataSource", "dev.strata.jdbc.PooledConnection"};

    private static boolean isPoolFrame(String className) {
        for (String own : OWN_FRAMES) {
            if (className.equals(own) || className.startsWith(own + "$")) {
                return true;
            }
        }
        return false;
    }
}
