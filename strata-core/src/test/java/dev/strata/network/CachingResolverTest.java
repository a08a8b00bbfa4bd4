package dev.strata.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.ManualClock;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Issue 8, item 13: the DNS cache forgets what failed, only that, and does not grow forever. */
class CachingResolverTest {

    private static final InetAddress FIRST = address(10, 0, 0, 1);
    private static final InetAddress SECOND = address(10, 0, 0, 2);

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    @Test
    void oneFailedAddressKeepsTheHostsOtherAddressesCached() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        CachingResolver resolver = new CachingResolver(host -> {
            lookups.incrementAndGet();
            return List.of(FIRST, SECOND);
        }, Duration.ofMinutes(5), new ManualClock());

        assertThat(resolver.resolve("db.internal")).containsExactly(FIRST, SECOND);
        resolver.failed("db.internal", FIRST);
        assertThat(resolver.resolve("db.internal")).as("the healthy address stays, without a new lookup").containsExactly(SECOND);
        assertThat(lookups).hasValue(1);

        resolver.failed("db.internal", SECOND);
        assertThat(resolver.resolve("db.internal")).as("none left: resolved again").containsExactly(FIRST, SECOND);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void expiredAnswersArePurgedAsNewOnesArrive() throws Exception {
        ManualClock clock = new ManualClock();
        CachingResolver resolver = new CachingResolver(host -> List.of(FIRST), Duration.ofSeconds(30), clock);
        for (int i = 0; i < 100; i++) {
            resolver.resolve("host-" + i + ".internal");
        }
        assertThat(resolver.size()).isEqualTo(100);

        clock.advance(Duration.ofSeconds(31));
        resolver.resolve("fresh.internal");
        assertThat(resolver.size()).as("only the fresh answer is left").isEqualTo(1);
    }

    @Test
    void theCacheHoldsAtMostItsBoundOfHosts() throws Exception {
        CachingResolver resolver = new CachingResolver(host -> List.of(FIRST), Duration.ofHours(1), new ManualClock());
        for (int i = 0; i < CachingResolver.MAX_HOSTS + 50; i++) {
            resolver.resolve("host-" + i + ".internal");
        }
        assertThat(resolver.size()).isLessThanOrEqualTo(CachingResolver.MAX_HOSTS);
    }
}
