package dev.strata.network;

import dev.strata.internal.Require;
import java.time.Duration;

/**
 * TCP keepalive settings applied to each connection. The kernel's defaults send the first probe
 * after two hours of silence; a NAT or load balancer typically forgets an idle flow after 30 s
 * to 6 min, so a dead peer would go unnoticed long after it was gone. With these options the
 * first probe leaves after {@code idle} and a dead peer is detected after about
 * {@code idle + interval * count}.
 *
 * @param idle silence before the first probe, 1 s to 2 h
 * @param interval time between unanswered probes, 1 s to 10 min
 * @param count unanswered probes before the connection is declared dead, 1 to 20
 */
public record KeepaliveOptions(Duration idle, Duration interval, int count) {

    /** First probe after 15 s, then every 5 s, dead after 3 misses: detection in about 30 s. */
    public static final KeepaliveOptions DEFAULT = new KeepaliveOptions(Duration.ofSeconds(15), Duration.ofSeconds(5), 3);

    public KeepaliveOptions {
        Require.between("keepalive.idle", idle, Duration.ofSeconds(1), Duration.ofHours(2));
        Require.between("keepalive.interval", interval, Duration.ofSeconds(1), Duration.ofMinutes(10));
        Require.between("keepalive.count", count, 1, 20);
    }

    /** Roughly how long after the last byte a silently dead peer is detected. */
    public Duration detectionTime() {
        return idle.plus(interval.multipliedBy(count));
    }
}
