package dev.strata.diagnosis;

import static dev.strata.diagnosis.VerdictRule.seconds;

import dev.strata.diagnosis.EventWindow.Signal;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.pool.PoolConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L1 from each dependency's events: {@code dead-flows-blackhole}, {@code stale-connections-after-idle},
 * {@code dns-failing}, {@code dns-slow}, {@code connect-refused} and {@code connect-timeout}.
 */
final class NetworkRules implements VerdictRule {

    @Override
    public void evaluate(Evidence in, List<Verdict> out) {
        for (Map.Entry<String, Totals> e : in.totals().entrySet()) {
            network(in, e.getKey(), e.getValue(), in.pools(e.getKey()), out);
        }
    }

    private static void network(Evidence in, String dep, Totals t, List<DiagnosisSource.PoolView> views, List<Verdict> out) {
        PoolConfig config = views.isEmpty() ? null : views.getFirst().pool().config();
        // A stale connection the pool did not catch reaches the call as a stale-connection fault
        // (the server's idle-session error); the pool's own events cover the ones it caught.
        long fast = t.count(Signal.STALE_FAST) + t.calls(FaultKind.STALE_CONNECTION);
        long hung = t.count(Signal.STALE_HUNG);
        if (hung > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("deadFlows", hung);
            ev.put("reachedCallers", t.count(Signal.STALE_REACHED_CALLER));
            ev.put("shortestIdleBeforeDeathMillis", t.minOf(Signal.STALE_HUNG));
            ev.put("longestIdleBeforeDeathMillis", t.maxOf(Signal.STALE_HUNG));
            long keepalive = config == null ? -1 : config.keepaliveInterval().toMillis();
            ev.put("poolKeepaliveIntervalMillis", keepalive);
            ev.put("poolValidationTimeoutMillis", config == null ? -1 : config.validationTimeout().toMillis());
            ev.put("events", t.lines(4, Signal.STALE_HUNG.ordinal()));
            long limit = t.minOf(Signal.STALE_HUNG);
            out.add(in.verdict("dead-flows-blackhole", Layer.NETWORK, dep,
                    hung + " pooled connection(s) idle for " + seconds(limit) + " or more got no answer at all: a NAT,"
                            + " firewall or load balancer on the path forgot the flow; keepalive "
                            + (keepalive <= 0 ? "is off" : "every " + seconds(keepalive)) + " is not below the path's idle limit",
                    ev, t.firstOf(Signal.STALE_HUNG), t.lastOf(Signal.STALE_HUNG),
                    "send keepalives below the path's idle limit (now at most " + seconds(limit) + "): pool keepalive"
                            + " interval and TCP keepalive (KeepaliveOptions) at about half of it; keep validation on so"
                            + " dead flows are replaced, not lent",
                    "retries-masking-lower-layer", "timeout-too-tight", "pool-starvation"));
        }
        if (fast > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("staleConnections", fast);
            ev.put("reachedCallers", t.count(Signal.STALE_REACHED_CALLER));
            ev.put("shortestIdleMillis", t.minOf(Signal.STALE_FAST));
            ev.put("longestIdleMillis", t.maxOf(Signal.STALE_FAST));
            if (config != null) {
                ev.put("poolIdleTimeoutMillis", config.idleTimeout().toMillis());
                ev.put("poolValidatesIdle", config.validateIdle());
                ev.put("poolKeepaliveIntervalMillis", config.keepaliveInterval().toMillis());
            }
            ev.put("retrySucceeded", t.count(Signal.RETRY_SUCCEEDED));
            ev.put("staleFailuresSeenByCalls", t.calls(FaultKind.STALE_CONNECTION));
            ev.put("events", t.lines(4, Signal.STALE_FAST.ordinal(), Signal.STALE_REACHED_CALLER.ordinal(),
                    EventWindow.SIGNALS + FaultKind.STALE_CONNECTION.ordinal()));
            long idle = t.minOf(Signal.STALE_FAST);
            out.add(in.verdict("stale-connections-after-idle", Layer.NETWORK, dep,
                    fast + " pooled connection(s) were found closed after idling " + seconds(idle) + " or more"
                            + (t.count(Signal.STALE_REACHED_CALLER) > 0 ? ", " + t.count(Signal.STALE_REACHED_CALLER)
                            + " of them handed to a caller" : "") + ": the server or the path closes idle connections"
                            + " sooner than the pool retires them",
                    ev, Math.min(t.firstOf(Signal.STALE_FAST), t.firstSeen(FaultKind.STALE_CONNECTION)),
                    Math.max(t.lastOf(Signal.STALE_FAST), t.lastSeen(FaultKind.STALE_CONNECTION)),
                    "set the pool's idle timeout below the server's (or path's) idle timeout, now at most " + seconds(idle)
                            + "; validate connections idle longer than a few seconds; keepalive below that limit",
                    "retries-masking-lower-layer"));
        }
        if (t.seen(FaultKind.DNS_FAILURE) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("failures", t.seen(FaultKind.DNS_FAILURE));
            ev.put("events", t.lines(4, EventWindow.SIGNALS + FaultKind.DNS_FAILURE.ordinal(),
                    EventWindow.SIGNALS + EventWindow.FAULTS + FaultKind.DNS_FAILURE.ordinal()));
            out.add(in.verdict("dns-failing", Layer.NETWORK, dep,
                    t.seen(FaultKind.DNS_FAILURE) + " connection attempt(s) could not resolve the host name",
                    ev, t.firstSeen(FaultKind.DNS_FAILURE), t.lastSeen(FaultKind.DNS_FAILURE),
                    "check the name and the resolver from inside the runtime; keep a cached answer's TTL short"
                            + " but non-zero so a resolver outage does not stop every new connection",
                    "retries-masking-lower-layer", "retry-storm", "breaker-flapping", "pool-starvation"));
        }
        if (t.count(Signal.DNS_SLOW) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("slowLookups", t.count(Signal.DNS_SLOW));
            ev.put("slowestMillis", t.maxOf(Signal.DNS_SLOW));
            ev.put("events", t.lines(4, Signal.DNS_SLOW.ordinal()));
            out.add(in.verdict("dns-slow", Layer.NETWORK, dep,
                    t.count(Signal.DNS_SLOW) + " lookup(s) took up to " + seconds(t.maxOf(Signal.DNS_SLOW))
                            + ", spent from the connect budget before TCP even started",
                    ev, t.firstOf(Signal.DNS_SLOW), t.lastOf(Signal.DNS_SLOW),
                    "fix or cache the resolver; keep DNS under the one connect deadline (Connector does) and the"
                            + " deadline sized for it",
                    "timeout-too-tight", "retries-masking-lower-layer"));
        }
        for (FaultKind kind : List.of(FaultKind.CONNECTION_REFUSED, FaultKind.CONNECT_TIMEOUT)) {
            long n = t.seen(kind);
            if (n == 0) {
                continue;
            }
            boolean refused = kind == FaultKind.CONNECTION_REFUSED;
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("failures", n);
            ev.put("failedAttemptsOfCalls", t.calls(kind));
            ev.put("failedByPoolsOrConnectors", t.infra(kind));
            ev.put("events", t.lines(4, EventWindow.SIGNALS + kind.ordinal(), EventWindow.SIGNALS + EventWindow.FAULTS + kind.ordinal()));
            out.add(in.verdict(refused ? "connect-refused" : "connect-timeout", Layer.NETWORK, dep,
                    n + " connection attempt(s) " + (refused ? "were refused: nothing listens at the address"
                            : "got no answer to the TCP handshake within the connect budget"),
                    ev, t.firstSeen(kind), t.lastSeen(kind),
                    refused ? "check the dependency is up and the address and port are right (service discovery, DNS"
                            + " answer, port)" : "check security groups and firewalls on the path and the dependency's"
                            + " accept backlog; keep the connect timeout short so callers fail fast",
                    "retries-masking-lower-layer", "retry-storm", "breaker-flapping", "dependency-failing", "pool-starvation"));
        }
    }
}
