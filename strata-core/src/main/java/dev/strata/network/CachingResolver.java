package dev.strata.network;

import dev.strata.call.Clock;
import dev.strata.internal.Require;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A resolver that remembers each answer for an explicit time to live, so a changed DNS record
 * (a failover, a blue/green switch) reaches new connections within the TTL. A connection failure
 * to one address forgets that address only ({@link #failed}): the host's other addresses stay
 * cached and are tried first; when none is left the host is resolved again. Expired answers are
 * purged as new ones arrive, and at most {@value #MAX_HOSTS} hosts are remembered, so a process
 * that talks to ever-new host names does not grow without bound. Thread-safe; two callers that
 * miss at the same moment may both ask the delegate.
 */
public final class CachingResolver implements Resolver {

    /** Most host names remembered at once; beyond it the oldest answers are dropped first. */
    public static final int MAX_HOSTS = 4_096;

    private record Answer(List<InetAddress> addresses, long expiresAtNanos) {
    }

    private final Resolver delegate;
    private final long ttlNanos;
    private final Clock clock;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private volatile long nextPurgeNanos;

    /**
     * @param ttl how long an answer is reused; zero disables caching
     * @throws IllegalArgumentException when the ttl is negative or longer than a day
     */
    public CachingResolver(Resolver delegate, Duration ttl, Clock clock) {
        this.delegate = Require.nonNull("delegate", delegate);
        this.ttlNanos = Require.between("dnsTtl", ttl, Duration.ZERO, Duration.ofDays(1)).toNanos();
        this.clock = Require.nonNull("clock", clock);
        this.nextPurgeNanos = clock.nanoTime() + ttlNanos;
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        List<InetAddress> cached = cached(host);
        if (cached != null) {
            return cached;
        }
        List<InetAddress> fresh = List.copyOf(delegate.resolve(host));
        if (ttlNanos > 0 && !fresh.isEmpty()) {
            long now = clock.nanoTime();
            answers.put(host, new Answer(fresh, now + ttlNanos));
            purge(now);
        }
        return fresh;
    }

    /** The cached, unexpired answer for {@code host}, or null; never asks the delegate. */
    List<InetAddress> cached(String host) {
        Answer cached = answers.get(host);
        if (cached == null) {
            return null;
        }
        if (clock.nanoTime() - cached.expiresAtNanos < 0) {
            return cached.addresses();
        }
        answers.remove(host, cached);
        return null;
    }

    /** How many hosts have an answer in the cache now (expired ones not yet purged included). */
    public int size() {
        return answers.size();
    }

    /** Forgets the cached answer for {@code host}; the next connection resolves it again. */
    public void invalidate(String host) {
        answers.remove(host);
    }

    /**
     * A connection to {@code address} of {@code host} failed: forget that address, keep the
     * host's others. When it was the last one, the next connection resolves the host again.
     */
    public void failed(String host, InetAddress address) {
        answers.computeIfPresent(host, (name, answer) -> {
            if (!answer.addresses().contains(address)) {
                return answer;
            }
            List<InetAddress> rest = answer.addresses().stream().filter(a -> !a.equals(address)).toList();
            return rest.isEmpty() ? null : new Answer(rest, answer.expiresAtNanos());
        });
    }

    // Expired answers would otherwise stay forever for hosts never asked for again.
    private void purge(long now) {
        if (now - nextPurgeNanos < 0 && answers.size() <= MAX_HOSTS) {
            return;
        }
        nextPurgeNanos = now + ttlNanos;
        answers.entrySet().removeIf(entry -> now - entry.getValue().expiresAtNanos() >= 0);
        if (answers.size() > MAX_HOSTS) {
            answers.entrySet().stream()
                    .sorted(java.util.Comparator.comparingLong(entry -> entry.getValue().expiresAtNanos()))
                    .limit(answers.size() - (long) MAX_HOSTS)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(answers::remove);
        }
    }
}
