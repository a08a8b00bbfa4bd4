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
 * (a failover, a blue/green switch) reaches new connections within the TTL, and that forgets an
 * answer at once when a connection to it fails ({@link #invalidate}). Thread-safe; two callers
 * that miss at the same moment may both ask the delegate.
 */
public final class CachingResolver implements Resolver {

    private record Answer(List<InetAddress> addresses, long expiresAtNanos) {
    }

    private final Resolver delegate;
    private final long ttlNanos;
    private final Clock clock;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();

    /**
     * @param ttl how long an answer is reused; zero disables caching
     * @throws IllegalArgumentException when the ttl is negative or longer than a day
     */
    public CachingResolver(Resolver delegate, Duration ttl, Clock clock) {
        this.delegate = Require.nonNull("delegate", delegate);
        this.ttlNanos = Require.between("dnsTtl", ttl, Duration.ZERO, Duration.ofDays(1)).toNanos();
        this.clock = Require.nonNull("clock", clock);
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        long now = clock.nanoTime();
        Answer cached = answers.get(host);
        if (cached != null && now - cached.expiresAtNanos < 0) {
            return cached.addresses();
        }
        List<InetAddress> fresh = List.copyOf(delegate.resolve(host));
        if (ttlNanos > 0 && !fresh.isEmpty()) {
            answers.put(host, new Answer(fresh, clock.nanoTime() + ttlNanos));
        }
        return fresh;
    }

    /** The cached, unexpired answer for {@code host}, or null; never asks the delegate. */
    List<InetAddress> cached(String host) {
        Answer cached = answers.get(host);
        return cached != null && clock.nanoTime() - cached.expiresAtNanos < 0 ? cached.addresses() : null;
    }

    /** Forgets the cached answer for {@code host}; the next connection resolves it again. */
    public void invalidate(String host) {
        answers.remove(host);
    }
}
