package dev.strata.diagnosis;

import dev.strata.diagnosis.EventWindow.Signal;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L2 from each dependency's events ({@code server-connection-limit}, {@code connection-leak} with
 * the borrowing stack, {@code rate-limited}) and from the pools' stats samples ({@code pool-starvation}, and
 * {@code connection-leak} from the pool's counter when no leak event was seen).
 */
final class ResourceRules implements VerdictRule {

    @Override
    public void evaluate(Evidence in, List<Verdict> out) {
        for (Map.Entry<String, Totals> e : in.totals().entrySet()) {
            resources(in, e.getKey(), e.getValue(), out);
        }
        poolVerdicts(in, out);
    }

    private static void resources(Evidence in, String dep, Totals t, List<Verdict> out) {
        long tooMany = t.seen(FaultKind.TOO_MANY_CONNECTIONS);
        if (tooMany > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("refusals", tooMany);
            ev.put("sqlState", "53300");
            ev.put("events", t.lines(4, EventWindow.SIGNALS + FaultKind.TOO_MANY_CONNECTIONS.ordinal(),
                    EventWindow.SIGNALS + EventWindow.FAULTS + FaultKind.TOO_MANY_CONNECTIONS.ordinal()));
            out.add(in.verdict("server-connection-limit", Layer.RESOURCE, dep,
                    tooMany + " new connection(s) were refused by the server: it is at its connection limit",
                    ev, t.firstSeen(FaultKind.TOO_MANY_CONNECTIONS), t.lastSeen(FaultKind.TOO_MANY_CONNECTIONS),
                    "count the pools and processes connected to this server (strata doctor triage); budget connections"
                            + " across every service with headroom; raise the limit only after that",
                    "pool-starvation", "retries-masking-lower-layer"));
        }
        long limited = t.seen(FaultKind.RATE_LIMITED);
        if (limited >= 5) { // one refusal is a burst meeting its limit; a pattern is several
            dev.strata.ratelimit.RateLimiter limiter = in.source().limiters().stream()
                    .filter(l -> l.policy().name().equals(dep) || l.name().equals(dep)).findFirst().orElse(null);
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("refusals", limited);
            if (limiter != null) {
                ev.put("limit", limiter.policy().limit());
                ev.put("windowMillis", limiter.policy().window().toMillis());
                ev.put("algorithm", limiter.policy().algorithm().name().toLowerCase(java.util.Locale.ROOT));
            }
            ev.put("events", t.lines(4, EventWindow.SIGNALS + EventWindow.FAULTS + FaultKind.RATE_LIMITED.ordinal(),
                    EventWindow.SIGNALS + FaultKind.RATE_LIMITED.ordinal()));
            out.add(in.verdict("rate-limited", Layer.RESOURCE, dep,
                    limited + " call(s) were refused by " + dep + "'s own rate limiter"
                            + (limiter == null ? "" : " (" + limiter.policy().limit() + " per "
                            + VerdictRule.seconds(limiter.policy().window().toMillis()) + ")")
                            + ": the service asks more of it than the limit allows",
                    ev, t.firstSeen(FaultKind.RATE_LIMITED), t.lastSeen(FaultKind.RATE_LIMITED),
                    "shed or queue the excess before the limiter (or fail it fast upstream); raise the limit only"
                            + " if the dependency's own quota allows it"));
        }
        if (t.count(Signal.LEAK) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("leaksReported", t.count(Signal.LEAK));
            ev.put("borrowedAt", t.lastLeak == null ? "" : t.lastLeak);
            out.add(in.verdict("connection-leak", Layer.RESOURCE, dep,
                    t.count(Signal.LEAK) + " connection(s) held past the leak threshold; the borrowing stack is in"
                            + " the evidence",
                    ev, t.firstOf(Signal.LEAK), t.lastOf(Signal.LEAK),
                    "return the connection on every path (try-with-resources) at the code path in borrowedAt; never"
                            + " keep a connection across a remote call or a sleep",
                    "pool-starvation", "timeout-too-tight", "retries-masking-lower-layer"));
        }
    }

    private static void poolVerdicts(Evidence in, List<Verdict> out) {
        Map<String, List<DiagnosisSource.PoolView>> byDependency = in.poolsByDependency();
        Map<String, Totals> totals = in.totals();
        long now = in.now();
        long windowMillis = in.windowMillis();
        in.withPoolTracks(pools -> {
            for (List<DiagnosisSource.PoolView> views : byDependency.values()) {
                for (DiagnosisSource.PoolView view : views) {
                    PoolTrack track = pools.get(view.pool());
                    if (track == null) {
                        continue;
                    }
                    PoolTrack.Starvation s = track.starvation(now - windowMillis, view.pool().config());
                    if (s != null) {
                        out.add(in.verdict("pool-starvation", Layer.RESOURCE, view.dependency(), s.summary(), s.evidence(),
                                s.sinceMillis(), s.lastMillis(), s.fix(), "timeout-too-tight", "retry-storm", "breaker-flapping",
                                "retries-masking-lower-layer"));
                    }
                    if (totals.get(view.dependency()) == null || totals.get(view.dependency()).count(Signal.LEAK) == 0) {
                        long leaks = track.leaksSince(now - windowMillis);
                        if (leaks > 0) {
                            out.add(in.verdict("connection-leak", Layer.RESOURCE, view.dependency(),
                                    leaks + " connection(s) held past the leak threshold (the pool's counter; the event"
                                            + " with the stack was not seen by this diagnoser)",
                                    Map.of("leaksReported", leaks), track.firstLeakMillis(), track.lastLeakMillis(),
                                    "return the connection on every path (try-with-resources)", "pool-starvation"));
                        }
                    }
                }
            }
        });
    }
}
