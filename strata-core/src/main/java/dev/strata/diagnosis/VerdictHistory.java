package dev.strata.diagnosis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a {@link Diagnoser} remembers between diagnoses: when each verdict, by id and dependency,
 * was first seen. A verdict keeps its {@code since} while it stays present; one that goes away is
 * forgotten, and starts again from its own {@code since} if it comes back. Thread-safe.
 */
final class VerdictHistory {

    private final Map<String, Instant> since = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();

    /** {@code found}, each with the earlier of its own {@code since} and the one remembered. */
    List<Verdict> stamp(List<Verdict> found) {
        lock.lock();
        try {
            Map<String, Instant> next = new HashMap<>();
            List<Verdict> out = new ArrayList<>();
            for (Verdict v : found) {
                String key = v.id() + "|" + v.dependency();
                Instant before = since.get(key);
                Instant s = before == null || v.since().isBefore(before) ? v.since() : before;
                next.put(key, s);
                out.add(v.since(s));
            }
            since.clear();
            since.putAll(next);
            return out;
        } finally {
            lock.unlock();
        }
    }
}
