package dev.strata.dashboard;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fan-out of a {@link DashboardFeed}: the latest sample, the last {@value DashboardFeed#HISTORY}
 * for a browser that connects later, and one bounded queue per connected browser. Publishing
 * never blocks the sampler: a browser whose queue is full is dropped with the end marker, and
 * reconnects to get the history again.
 */
final class FeedSubscribers {

    /** Samples a browser may fall behind before it is dropped. */
    static final int QUEUE_CAPACITY = 64;
    private static final String END = "\u0000end";

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<String> history = new ArrayDeque<>();
    private final CopyOnWriteArrayList<BlockingQueue<String>> clients = new CopyOnWriteArrayList<>();
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

    /** A new browser's queue; it holds just the end marker when the feed is closed already. */
    BlockingQueue<String> subscribe() {
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        clients.add(queue);
        if (closed) {
            queue.offer(END);
        }
        return queue;
    }

    void unsubscribe(BlockingQueue<String> queue) {
        clients.remove(queue);
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
        for (Iterator<BlockingQueue<String>> it = clients.iterator(); it.hasNext(); ) {
            BlockingQueue<String> q = it.next();
            if (!q.offer(json)) {
                clients.remove(q); // too slow: it reconnects and gets the history again
                q.clear();
                q.offer(END);
            }
        }
    }

    /** From now on a new browser gets the end marker at once. */
    void markClosed() {
        closed = true;
    }

    /** Ends every connected browser's stream: what it has not read yet is dropped for the end marker. */
    void endAll() {
        for (BlockingQueue<String> q : clients) {
            q.clear();
            q.offer(END);
        }
    }
}
