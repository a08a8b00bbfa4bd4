package dev.strata.dashboard;

import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fan-out of a {@link DashboardFeed}: the latest sample, the last {@value DashboardFeed#HISTORY}
 * for a browser that connects later, and one bounded queue per connected browser. Publishing
 * never blocks the sampler: a browser whose queue is full is dropped with the end marker, and
 * reconnects to get the history again.
 *
 * <p>A browser that stopped reading leaves its handler thread blocked in a socket write (the JDK
 * server has no write timeout), where the end marker never reaches it. So dropping a browser, or
 * finding its stream older than {@link #MAX_LIFETIME_NANOS} plus a grace, also interrupts the
 * thread serving it: a thread blocked on the connection's channel is released and the channel
 * closed (interruptible channel I/O), which frees the thread and the connection.
 */
final class FeedSubscribers {

    /** Samples a browser may fall behind before it is dropped. */
    static final int QUEUE_CAPACITY = 64;
    private static final String END = "\u0000end";

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<String> history = new ArrayDeque<>();
    /** A stream's handler returns after this long; the page reconnects (its {@code retry}). */
    static final long MAX_LIFETIME_NANOS = TimeUnit.MINUTES.toNanos(5);
    /** Past its lifetime by this much, a stream's thread is taken to be stuck in a write and interrupted. */
    static final long STUCK_GRACE_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** One browser: its queue and the thread serving it, interrupted at most while it serves it. */
    private static final class Client {
        final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        final Thread thread = Thread.currentThread();
        final long startNanos = System.nanoTime();
        final ReentrantLock lock = new ReentrantLock();
        boolean done;
        boolean kicked;

        /** Releases the handler if it still serves this browser (never a later exchange on a reused thread). */
        void kick() {
            lock.lock();
            try {
                if (!done) {
                    kicked = true;
                    thread.interrupt();
                }
            } finally {
                lock.unlock();
            }
        }

        /** On the handler's thread when it leaves: no interrupt reaches it after this. */
        void finish() {
            lock.lock();
            try {
                done = true;
                if (kicked) {
                    Thread.interrupted(); // our kick must not leak into the thread's next task; others' interrupts stay
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private final CopyOnWriteArrayList<Client> clients = new CopyOnWriteArrayList<>();
    /** Every subscribed browser until its handler leaves, dropped or not (queues compare by identity). */
    private final ConcurrentHashMap<BlockingQueue<String>, Client> serving = new ConcurrentHashMap<>();
    private volatile String latest = "{}";
    private volatile boolean closed;

    String latest() {
        return latest;
    }

    /** The kept samples as a JSON array, oldest first. */
    String historyJson() {
        lock.lock();
        try {
            return "[" + String.join(",", history) + "]";
        } finally {
            lock.unlock();
        }
    }

    /** A new browser's queue, served by the calling thread; it holds just the end marker when the feed is closed already. */
    BlockingQueue<String> subscribe() {
        Client client = new Client();
        serving.put(client.queue, client);
        clients.add(client);
        if (closed) {
            client.queue.offer(END);
        }
        return client.queue;
    }

    /** Called by the thread that subscribed, when its stream ends. */
    void unsubscribe(BlockingQueue<String> queue) {
        Client c = serving.remove(queue);
        if (c != null) {
            clients.remove(c);
            c.finish();
        }
    }

    static boolean isEnd(String message) {
        return END.equals(message);
    }

    int count() {
        return clients.size();
    }

    /** Keeps {@code json} as the latest sample and in the history, and offers it to every browser. */
    void publish(String json) {
        lock.lock();
        try {
            history.addLast(json);
            while (history.size() > DashboardFeed.HISTORY) {
                history.removeFirst();
            }
        } finally {
            lock.unlock();
        }
        latest = json;
        long now = System.nanoTime();
        for (Client c : clients) {
            BlockingQueue<String> q = c.queue;
            if (!q.offer(json)) {
                clients.remove(c); // too slow: it reconnects and gets the history again
                q.clear();
                q.offer(END);
                c.kick(); // it may be blocked in a write to a browser that stopped reading
            } else if (now - c.startNanos > MAX_LIFETIME_NANOS + STUCK_GRACE_NANOS) {
                c.kick(); // should have ended at its lifetime: stuck in a write
            }
        }
    }

    /** From now on a new browser gets the end marker at once. */
    void markClosed() {
        closed = true;
    }

    /** Ends every connected browser's stream: what it has not read yet is dropped for the end marker. */
    void endAll() {
        for (Client c : clients) {
            c.queue.clear();
            c.queue.offer(END);
        }
    }
}
