package dev.strata.diagnosis;

import dev.strata.diagnosis.Verdict.State;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a {@link Diagnoser} remembers between diagnoses, and so the life of each verdict (by id and
 * dependency): when it was first seen, and when its evidence was last seen. A verdict is
 * {@link State#ACTIVE active} while its latest evidence is at most {@code activeMillis} old,
 * {@link State#RECOVERING recovering} after that until its latest evidence is {@code recoveringMillis}
 * old, then {@link State#RECENT recent} until it is a window old, and then forgotten. One that
 * has new evidence after it became recent starts a new episode: {@code since} is its latest evidence
 * when first seen again. A verdict the rules no longer
 * find at all (its condition is gone, e.g. a duplicate pool closed) goes on from its last evidence
 * the same way. Memory: at most one entry per (id, dependency) seen in the window. Thread-safe.
 */
final class VerdictHistory {

    /** At most this many verdicts are listed as recent, the latest first. */
    static final int MAX_RECENT = 16;

    private record Entry(Verdict verdict, Instant since, Instant lastEvidence) {
    }

    /** The verdicts of one diagnosis: listed ones (active, then recovering, unordered) and recent ones. */
    record Stamped(List<Verdict> listed, List<Verdict> recent) {
    }

    private final long activeMillis;
    private final long recoveringMillis;
    private final long windowMillis;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();

    VerdictHistory(long activeMillis, long recoveringMillis, long windowMillis) {
        this.activeMillis = activeMillis;
        this.recoveringMillis = recoveringMillis;
        this.windowMillis = windowMillis;
    }

    /**
     * Files what the rules found at {@code nowMillis} (each raw verdict carrying its latest evidence
     * in {@link Verdict#until()}) and returns every remembered verdict in its state.
     */
    Stamped stamp(List<Verdict> found, long nowMillis) {
        lock.lock();
        try {
            for (Verdict v : found) {
                String key = v.id() + "|" + v.dependency();
                Instant last = v.until() == null ? Instant.ofEpochMilli(nowMillis) : v.until();
                Entry before = entries.get(key);
                Instant since = v.since();
                if (before != null && state(before.lastEvidence, nowMillis) != State.RECENT) {
                    if (before.since.isBefore(since)) {
                        since = before.since; // still the same episode: keep when it began
                    }
                } else if (before != null && last.isAfter(before.lastEvidence)) {
                    // back after it had recovered: a new episode, which began after the old one's last evidence
                    since = Instant.ofEpochMilli(Math.min(nowMillis, last.toEpochMilli()));
                }
                if (before != null && before.lastEvidence.isAfter(last)) {
                    last = before.lastEvidence;
                }
                entries.put(key, new Entry(v, since, last));
            }
            List<Verdict> listed = new ArrayList<>();
            List<Verdict> recent = new ArrayList<>();
            entries.values().removeIf(e -> nowMillis - e.lastEvidence.toEpochMilli() > windowMillis);
            for (Entry e : entries.values()) {
                State s = state(e.lastEvidence, nowMillis);
                Verdict v = e.verdict.since(e.since).in(s, e.lastEvidence);
                (s == State.RECENT ? recent : listed).add(v);
            }
            recent.sort(Comparator.comparing(Verdict::until).reversed());
            return new Stamped(listed, recent.size() > MAX_RECENT ? recent.subList(0, MAX_RECENT) : recent);
        } finally {
            lock.unlock();
        }
    }

    private State state(Instant lastEvidence, long nowMillis) {
        long age = nowMillis - lastEvidence.toEpochMilli();
        return age <= activeMillis ? State.ACTIVE : age <= recoveringMillis ? State.RECOVERING : State.RECENT;
    }
}
