package dev.strata.shop.demo;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The naive variant's connection pool, the kind seed 000 warns about: it hands out whatever
 * connection it has without validating it and keeps nothing alive, so after a quiet period longer
 * than the server's idle limit every pooled connection is dead and the next queries fail. It only
 * drops a connection after a query on it failed.
 *
 * <p>Its one concession to the demo: waiting for a connection is capped by the safety cap, so the
 * demo terminates; the pool throws {@link Exhausted} when the cap passes.
 */
final class NaivePool implements AutoCloseable {

    /** Opens a new database connection. */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    /** No connection became free within the safety cap. */
    static final class Exhausted extends RuntimeException {
        Exhausted(String message) {
            super(message);
        }
    }

    private final Opener opener;
    private final int size;
    private final Duration safetyCap;
    private final ArrayBlockingQueue<Connection> idle;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong droppedBroken = new AtomicLong();
    /** Every connection ever opened, to close them all at the end (closing twice is harmless). */
    private final ConcurrentLinkedQueue<Connection> all = new ConcurrentLinkedQueue<>();

    NaivePool(Opener opener, int size, Duration safetyCap) {
        this.opener = opener;
        this.size = size;
        this.safetyCap = safetyCap;
        this.idle = new ArrayBlockingQueue<>(size);
    }

    /** A connection: an idle one as it is (no check), a new one while below size, else waits. */
    Connection borrow() throws SQLException, InterruptedException {
        Connection connection = idle.poll();
        if (connection != null) {
            return connection;
        }
        if (open.incrementAndGet() <= size) {
            try {
                Connection created = opener.open();
                opened.incrementAndGet();
                all.add(created);
                return created;
            } catch (SQLException | RuntimeException e) {
                open.decrementAndGet();
                throw e;
            }
        }
        open.decrementAndGet();
        connection = idle.poll(safetyCap.toNanos(), TimeUnit.NANOSECONDS);
        if (connection == null) {
            throw new Exhausted("no database connection free within the " + safetyCap.toMillis() + " ms safety cap ("
                    + size + " connections, all in use)");
        }
        return connection;
    }

    /** Returns a connection; one whose last query failed is closed and forgotten. */
    void release(Connection connection, boolean broken) {
        if (broken) {
            droppedBroken.incrementAndGet();
            open.decrementAndGet();
            closeQuietly(connection);
            return;
        }
        if (!idle.offer(connection)) {
            open.decrementAndGet();
            closeQuietly(connection);
        }
    }

    /** Connections opened so far. */
    long opened() {
        return opened.get();
    }

    /** Connections closed because a query on them failed. */
    long droppedBroken() {
        return droppedBroken.get();
    }

    @Override
    public void close() {
        idle.clear();
        for (Connection connection; (connection = all.poll()) != null; ) {
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already dead: that is how it got here
        }
    }
}
