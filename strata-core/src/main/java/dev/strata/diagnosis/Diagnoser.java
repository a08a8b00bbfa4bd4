package dev.strata.diagnosis;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Interceptor;
import dev.strata.diagnosis.EventWindow.Signal;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.internal.Require;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.pool.PoolConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which layer broke, answered inside the running service. Subscribes to a
 * {@link DiagnosisSource}'s event bus, polls the stats of its pools and breakers, and on
 * {@link #diagnose()} turns what it saw in the last window into {@link Verdict verdicts},
 * bottom-up: L1 before L2 before the remote side before L3 before L4, and a verdict that explains
 * another's symptoms (stale connections explaining retries that succeed on attempt 2; duplicate
 * pools explaining "too many connections") placed before it and naming it.
 *
 * <p>Guarantees: it only reads (stats, configs and events; it never changes a component); it adds
 * nothing to a call that succeeds on its first attempt, because such a call publishes no event
 * and the poller runs on its own thread; its memory is fixed by the window and the number of
 * dependencies ({@link #MAX_DEPENDENCIES}), whatever the event rate; its listener takes one
 * short lock per event and never blocks on I/O. Thread-safe. Close it to unsubscribe and stop
 * the poller.
 *
 * <p>Every finding id is documented in {@code docs/diagnosis.md}.
 */
public final class Diagnoser implements AutoCloseable {

    /** Dependencies tracked; events of further names are counted under {@link #OTHER}. */
    public static final int MAX_DEPENDENCIES = 256;
    /** Where events of dependencies beyond {@link #MAX_DEPENDENCIES} go. */
    public static final String OTHER = "(other)";

    private final DiagnosisSource source;
    private final Clock clock;
    private final long windowMillis;
    private final Intake intake;
    private final VerdictHistory history = new VerdictHistory();

    private Diagnoser(Builder b) {
        this.source = b.source;
        this.clock = b.clock;
        this.windowMillis = b.window.toMillis();
        this.intake = new Intake(source, clock, windowMillis, b.pollInterval.toMillis());
    }

    /**
     * The runtime's diagnosis, the equivalent of {@code strata.diagnose()}: a diagnoser reading the
     * L4 runtime's events, pools, breakers, bulkheads, budget checks and registry findings, started
     * now and handed to the runtime to close on shutdown. Call once per runtime and keep it.
     */
    public static Diagnoser of(dev.strata.application.Strata strata) {
        Require.nonNull("strata", strata);
        return strata.own("diagnoser", builder(new RuntimeSource(strata)).clock(strata.clock()).start());
    }

    /** A diagnoser reading {@code source}; call {@link Builder#start()}. */
    public static Builder builder(DiagnosisSource source) {
        return new Builder(source);
    }

    /** Samples every pool's stats once; public for tests and tools that drive time themselves. */
    public void poll() {
        intake.poll();
    }

    /**
     * An interceptor that measures one attempt in {@code every} of {@code dependency}'s calls,
     * so the diagnosis can compare a timeout with the operation's real latency
     * ({@code timeout-too-tight}). Optional: without it that finding says the latency is unknown.
     * The unmeasured attempts pay one atomic increment.
     */
    public Interceptor latencyProbe(String dependency, int every) {
        Require.between("every", every, 1, 1_000_000);
        LatencyTrack track = intake.latencyTrack(dependency);
        AtomicLong counter = new AtomicLong();
        return new Interceptor() {
            @Override
            public <T> T intercept(CallContext context, Callable<T> attempt) throws Exception {
                if (counter.incrementAndGet() % every != 0) {
                    return attempt.call();
                }
                long start = clock.nanoTime();
                T result = attempt.call();
                track.add(clock.currentTimeMillis(), clock.nanoTime() - start);
                return result;
            }
        };
    }

    /** Dependencies with an event window now (at most {@link #MAX_DEPENDENCIES} + 1). */
    int trackedDependencies() {
        return intake.trackedDependencies();
    }

    // ------------------------------------------------------------------ verdicts

    /** The current diagnosis: verdicts about the last window, most likely root cause first. */
    public Diagnosis diagnose() {
        poll();
        long now = clock.currentTimeMillis();
        List<Verdict> found = new ArrayList<>();
        Map<String, Totals> totals = intake.totals(now);
        Map<String, CircuitBreaker> breakers = new HashMap<>();
        for (CircuitBreaker b : source.breakers()) {
            breakers.put(b.name(), b);
        }
        Map<String, List<DiagnosisSource.PoolView>> poolsByDependency = new LinkedHashMap<>();
        for (DiagnosisSource.PoolView v : source.pools()) {
            poolsByDependency.computeIfAbsent(v.dependency(), d -> new ArrayList<>()).add(v);
        }
        for (Map.Entry<String, Totals> e : totals.entrySet()) {
            String dep = e.getKey();
            Totals t = e.getValue();
            network(dep, t, poolsByDependency.getOrDefault(dep, List.of()), found);
            resources(dep, t, found);
            resilience(dep, t, breakers.get(dep), found);
        }
        poolVerdicts(poolsByDependency, totals, now, found);
        application(found);
        List<Verdict> stamped = history.stamp(found);
        return new Diagnosis(Instant.ofEpochMilli(now), new VerdictOrder(source.pools()).order(stamped));
    }

    private void network(String dep, Totals t, List<DiagnosisSource.PoolView> views, List<Verdict> out) {
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
            out.add(verdict("dead-flows-blackhole", Layer.NETWORK, dep,
                    hung + " pooled connection(s) idle for " + seconds(limit) + " or more got no answer at all: a NAT,"
                            + " firewall or load balancer on the path forgot the flow; keepalive "
                            + (keepalive <= 0 ? "is off" : "every " + seconds(keepalive)) + " is not below the path's idle limit",
                    ev, t.firstOf(Signal.STALE_HUNG),
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
            out.add(verdict("stale-connections-after-idle", Layer.NETWORK, dep,
                    fast + " pooled connection(s) were found closed after idling " + seconds(idle) + " or more"
                            + (t.count(Signal.STALE_REACHED_CALLER) > 0 ? ", " + t.count(Signal.STALE_REACHED_CALLER)
                            + " of them handed to a caller" : "") + ": the server or the path closes idle connections"
                            + " sooner than the pool retires them",
                    ev, Math.min(t.firstOf(Signal.STALE_FAST), t.firstSeen(FaultKind.STALE_CONNECTION)),
                    "set the pool's idle timeout below the server's (or path's) idle timeout, now at most " + seconds(idle)
                            + "; validate connections idle longer than a few seconds; keepalive below that limit",
                    "retries-masking-lower-layer"));
        }
        if (t.seen(FaultKind.DNS_FAILURE) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("failures", t.seen(FaultKind.DNS_FAILURE));
            ev.put("events", t.lines(4, EventWindow.SIGNALS + FaultKind.DNS_FAILURE.ordinal(),
                    EventWindow.SIGNALS + EventWindow.FAULTS + FaultKind.DNS_FAILURE.ordinal()));
            out.add(verdict("dns-failing", Layer.NETWORK, dep,
                    t.seen(FaultKind.DNS_FAILURE) + " connection attempt(s) could not resolve the host name",
                    ev, t.firstSeen(FaultKind.DNS_FAILURE),
                    "check the name and the resolver from inside the runtime; keep a cached answer's TTL short"
                            + " but non-zero so a resolver outage does not stop every new connection",
                    "retries-masking-lower-layer", "breaker-flapping", "pool-starvation"));
        }
        if (t.count(Signal.DNS_SLOW) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("slowLookups", t.count(Signal.DNS_SLOW));
            ev.put("slowestMillis", t.maxOf(Signal.DNS_SLOW));
            ev.put("events", t.lines(4, Signal.DNS_SLOW.ordinal()));
            out.add(verdict("dns-slow", Layer.NETWORK, dep,
                    t.count(Signal.DNS_SLOW) + " lookup(s) took up to " + seconds(t.maxOf(Signal.DNS_SLOW))
                            + ", spent from the connect budget before TCP even started",
                    ev, t.firstOf(Signal.DNS_SLOW),
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
            out.add(verdict(refused ? "connect-refused" : "connect-timeout", Layer.NETWORK, dep,
                    n + " connection attempt(s) " + (refused ? "were refused: nothing listens at the address"
                            : "got no answer to the TCP handshake within the connect budget"),
                    ev, t.firstSeen(kind),
                    refused ? "check the dependency is up and the address and port are right (service discovery, DNS"
                            + " answer, port)" : "check security groups and firewalls on the path and the dependency's"
                            + " accept backlog; keep the connect timeout short so callers fail fast",
                    "retries-masking-lower-layer", "breaker-flapping", "dependency-failing", "pool-starvation"));
        }
    }

    private void resources(String dep, Totals t, List<Verdict> out) {
        long tooMany = t.seen(FaultKind.TOO_MANY_CONNECTIONS);
        if (tooMany > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("refusals", tooMany);
            ev.put("sqlState", "53300");
            ev.put("events", t.lines(4, EventWindow.SIGNALS + FaultKind.TOO_MANY_CONNECTIONS.ordinal(),
                    EventWindow.SIGNALS + EventWindow.FAULTS + FaultKind.TOO_MANY_CONNECTIONS.ordinal()));
            out.add(verdict("server-connection-limit", Layer.RESOURCE, dep,
                    tooMany + " new connection(s) were refused by the server: it is at its connection limit",
                    ev, t.firstSeen(FaultKind.TOO_MANY_CONNECTIONS),
                    "count the pools and processes connected to this server (strata doctor triage); budget connections"
                            + " across every service with headroom; raise the limit only after that",
                    "pool-starvation", "retries-masking-lower-layer"));
        }
        if (t.count(Signal.LEAK) > 0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("leaksReported", t.count(Signal.LEAK));
            ev.put("borrowedAt", t.lastLeak == null ? "" : t.lastLeak);
            out.add(verdict("connection-leak", Layer.RESOURCE, dep,
                    t.count(Signal.LEAK) + " connection(s) held past the leak threshold; the borrowing stack is in"
                            + " the evidence",
                    ev, t.firstOf(Signal.LEAK),
                    "return the connection on every path (try-with-resources) at the code path in borrowedAt; never"
                            + " keep a connection across a remote call or a sleep",
                    "pool-starvation", "timeout-too-tight", "retries-masking-lower-layer"));
        }
    }

    private void resilience(String dep, Totals t, CircuitBreaker breaker, List<Verdict> out) {
        long remoteAttempts = t.callsIn(Layer.REMOTE);
        long lowerAttempts = t.callsIn(Layer.NETWORK) + t.callsIn(Layer.RESOURCE);
        long attemptFailures = t.count(Signal.ATTEMPT_FAILED) + t.count(Signal.GAVE_UP);
        long succeededLater = t.count(Signal.RETRY_SUCCEEDED);
        CircuitBreaker.Metrics m = breaker == null ? null : breaker.metrics();
        Map<String, Object> breakerEvidence = new LinkedHashMap<>();
        if (m != null) {
            breakerEvidence.put("breakerState", m.state().name());
            breakerEvidence.put("breakerFailureRate", Math.round(m.failureRate() * 1000) / 10.0);
            breakerEvidence.put("breakerBufferedCalls", m.bufferedCalls());
            breakerEvidence.put("breakerRejectedTotal", m.notPermittedCalls());
        }
        breakerEvidence.put("breakerOpened", t.count(Signal.BREAKER_OPENED));
        breakerEvidence.put("breakerClosed", t.count(Signal.BREAKER_CLOSED));
        breakerEvidence.put("breakerRejected", t.count(Signal.BREAKER_REJECTED));

        boolean breakerSaysFailing = m != null && (m.state() == CircuitBreaker.State.OPEN
                || m.state() == CircuitBreaker.State.HALF_OPEN || (m.bufferedCalls() > 0 && m.failureRate() >= 0.5));
        boolean failing = remoteAttempts >= 5 && (m == null ? t.count(Signal.GAVE_UP) >= 3
                : breakerSaysFailing && (m.failureRate() >= 0.5 || t.count(Signal.BREAKER_CLOSED) == 0));
        if (failing) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("remoteFailures", remoteAttempts);
            ev.put("failuresByKind", t.callFaults());
            ev.put("callsGaveUp", t.count(Signal.GAVE_UP));
            ev.put("retriesSucceeded", succeededLater);
            ev.putAll(breakerEvidence);
            ev.put("events", t.lines(4, Signal.GAVE_UP.ordinal(), Signal.BREAKER_OPENED.ordinal()));
            out.add(verdict("dependency-failing", Layer.REMOTE, dep,
                    "the dependency itself fails: " + remoteAttempts + " attempt(s) got server errors"
                            + (m == null ? "" : ", breaker " + m.state() + " at " + breakerEvidence.get("breakerFailureRate")
                            + "% failures") + "; retries and the breaker are reacting, not causing it",
                    ev, t.firstIn(Layer.REMOTE),
                    "look at the dependency (its logs, its own dependencies); keep the breaker open and serve the"
                            + " fallback meanwhile; do not raise retries",
                    "retry-storm", "breaker-flapping", "timeout-too-tight"));
        }
        long budgetRefused = t.count(Signal.BUDGET_EXHAUSTED);
        long logicalTroubled = t.count(Signal.GAVE_UP) + succeededLater;
        double amplification = logicalTroubled == 0 ? 0 : (double) attemptFailures / logicalTroubled;
        // A few refusals are the budget doing its job; a storm is many, or retries multiplying attempts.
        if (budgetRefused >= 5 || (attemptFailures >= 20 && amplification >= 2.0)) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("failedAttempts", attemptFailures);
            ev.put("callsThatRetried", logicalTroubled);
            ev.put("attemptsPerTroubledCall", Math.round(amplification * 100) / 100.0);
            ev.put("budgetRefusals", budgetRefused);
            ev.put("highestAttempt", Math.max(t.maxOf(Signal.ATTEMPT_FAILED), t.maxOf(Signal.GAVE_UP)));
            ev.put("failuresByKind", t.callFaults());
            ev.putAll(breakerEvidence);
            ev.put("events", t.lines(4, Signal.BUDGET_EXHAUSTED.ordinal(), Signal.ATTEMPT_FAILED.ordinal()));
            out.add(verdict("retry-storm", Layer.RESILIENCE, dep,
                    "retries multiply the load: " + ev.get("attemptsPerTroubledCall") + " failed attempts per call that"
                            + " needed a retry" + (budgetRefused > 0 ? ", and the retry budget refused " + budgetRefused
                            + " retries" : ""),
                    ev, Math.min(t.firstOf(Signal.BUDGET_EXHAUSTED), t.firstOf(Signal.ATTEMPT_FAILED)),
                    "cap retries with a retry budget (about 10% of calls), fewer attempts, exponential backoff with"
                            + " full jitter; let the breaker stop them when the dependency is down"));
        }
        if (succeededLater > 0 && lowerAttempts > 0) {
            Layer masked = t.callsIn(Layer.NETWORK) >= t.callsIn(Layer.RESOURCE) ? Layer.NETWORK : Layer.RESOURCE;
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("retriesSucceeded", succeededLater);
            ev.put("lowerLayerAttemptFailures", lowerAttempts);
            ev.put("failuresByKind", t.callFaults());
            ev.put("highestSucceedingAttempt", t.maxOf(Signal.RETRY_SUCCEEDED));
            ev.put("events", t.lines(4, Signal.RETRY_SUCCEEDED.ordinal(), Signal.ATTEMPT_FAILED.ordinal()));
            List<String> lowerKinds = t.callFaults().keySet().stream()
                    .filter(k -> k.startsWith(Layer.NETWORK.name() + "/") || k.startsWith(Layer.RESOURCE.name() + "/")).toList();
            out.add(verdict("retries-masking-lower-layer", masked, dep,
                    succeededLater + " call(s) succeeded only on a later attempt after " + masked.label() + " failures ("
                            + String.join(", ", lowerKinds) + "): retries hide a " + masked.label()
                            + " problem, they do not fix it",
                    ev, Math.min(t.firstIn(masked), t.firstOf(Signal.RETRY_SUCCEEDED)),
                    "fix the " + masked.label() + " cause named in failuresByKind; retries should rarely be needed"
                            + " (under 5% of calls)"));
        }
        if (t.count(Signal.BREAKER_OPENED) >= 3 && t.count(Signal.BREAKER_CLOSED) >= 2) {
            Map<String, Object> ev = new LinkedHashMap<>(breakerEvidence);
            ev.put("failuresByKind", t.callFaults());
            ev.put("events", t.lines(6, Signal.BREAKER_OPENED.ordinal(), Signal.BREAKER_CLOSED.ordinal()));
            out.add(verdict("breaker-flapping", Layer.RESILIENCE, dep,
                    "the breaker opened " + t.count(Signal.BREAKER_OPENED) + " and closed " + t.count(Signal.BREAKER_CLOSED)
                            + " times in " + seconds(windowMillis) + ": its threshold sits inside the dependency's"
                            + " normal failure rate"
                            + (m == null ? "" : " (" + breakerEvidence.get("breakerFailureRate") + "% now)"),
                    ev, t.firstOf(Signal.BREAKER_OPENED),
                    "raise the failure-rate threshold above the normal rate, widen the window / minimum calls, and"
                            + " grow the open wait after each failed probe (openWaitMultiplier)"));
        }
        long timeouts = t.count(Signal.TIMEOUT_FIRED) + t.count(Signal.DEADLINE_FIRED);
        if (timeouts >= 5) { // a couple of timeouts in a burst are not a pattern
            LatencyTrack latency = intake.latency(dep);
            long[] measured = latency == null ? null : latency.percentiles(clock.currentTimeMillis() - windowMillis);
            long bound = t.maxOf(Signal.TIMEOUT_FIRED);
            boolean fastOperation = measured != null && bound > 0 && measured[0] < bound;
            boolean completesLater = succeededLater > 0;
            boolean tooTight = measured == null ? completesLater : fastOperation;
            if (!tooTight && t.count(Signal.TIMEOUT_FIRED) >= 5) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("timeoutsFired", t.count(Signal.TIMEOUT_FIRED));
                ev.put("attemptTimeoutMillis", bound);
                ev.put("measuredP50Millis", measured == null ? "unknown (add Diagnoser.latencyProbe)" : measured[0]);
                ev.put("retriesSucceeded", succeededLater);
                ev.put("callsGaveUp", t.count(Signal.GAVE_UP));
                ev.putAll(breakerEvidence);
                ev.put("events", t.lines(4, Signal.TIMEOUT_FIRED.ordinal(), Signal.GAVE_UP.ordinal()));
                out.add(verdict("dependency-slow", Layer.REMOTE, dep,
                        "the dependency answers too slowly: " + t.count(Signal.TIMEOUT_FIRED) + " attempt(s) ran into the "
                                + (bound < 0 ? "" : bound + " ms ") + "timeout"
                                + (measured == null ? " and retrying did not help" : " while measured calls take "
                                + measured[0] + " ms (p50)") + "; the timeout is protecting the caller, not causing this",
                        ev, t.firstOf(Signal.TIMEOUT_FIRED),
                        "look at the dependency's latency (its load, its own dependencies); keep the timeout and serve"
                                + " the fallback; let the breaker open on slow calls (slow_call_duration)",
                        "retry-storm", "breaker-flapping"));
            }
            if (tooTight) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("timeoutsFired", t.count(Signal.TIMEOUT_FIRED));
                ev.put("deadlinesFired", t.count(Signal.DEADLINE_FIRED));
                ev.put("attemptTimeoutMillis", bound);
                ev.put("measuredP50Millis", measured == null ? "unknown (add Diagnoser.latencyProbe)" : measured[0]);
                ev.put("measuredP99Millis", measured == null ? "unknown" : measured[1]);
                ev.put("measuredSamples", measured == null ? 0 : measured[2]);
                ev.put("retriesSucceeded", succeededLater);
                ev.put("events", t.lines(4, Signal.TIMEOUT_FIRED.ordinal(), Signal.DEADLINE_FIRED.ordinal()));
                out.add(verdict("timeout-too-tight", Layer.RESILIENCE, dep,
                        timeouts + " attempt(s) timed out at " + (bound < 0 ? "the deadline" : bound + " ms") + " on an"
                                + " operation that "
                                + (measured == null ? "succeeds when retried" : "usually takes " + measured[0] + " ms (p99 "
                                + measured[1] + " ms)") + ": the timeout cuts normal calls, not hung ones",
                        ev, Math.min(t.firstOf(Signal.TIMEOUT_FIRED), t.firstOf(Signal.DEADLINE_FIRED)),
                        "set the attempt timeout above the measured p99"
                                + (measured == null ? "" : " (" + measured[1] + " ms), e.g. " + Math.max(measured[1] * 2, bound + 1) + " ms")
                                + " and keep the total deadline to cover attempts plus backoff"));
            }
        }
    }

    private void poolVerdicts(Map<String, List<DiagnosisSource.PoolView>> byDependency, Map<String, Totals> totals,
                              long now, List<Verdict> out) {
        intake.withPoolTracks(pools -> {
            for (List<DiagnosisSource.PoolView> views : byDependency.values()) {
                for (DiagnosisSource.PoolView view : views) {
                    PoolTrack track = pools.get(view.pool());
                    if (track == null) {
                        continue;
                    }
                    PoolTrack.Starvation s = track.starvation(now - windowMillis, view.pool().config());
                    if (s != null) {
                        out.add(verdict("pool-starvation", Layer.RESOURCE, view.dependency(), s.summary(), s.evidence(),
                                s.sinceMillis(), s.fix(), "timeout-too-tight", "retry-storm", "breaker-flapping",
                                "retries-masking-lower-layer"));
                    }
                    if (totals.get(view.dependency()) == null || totals.get(view.dependency()).count(Signal.LEAK) == 0) {
                        long leaks = track.leaksSince(now - windowMillis);
                        if (leaks > 0) {
                            out.add(verdict("connection-leak", Layer.RESOURCE, view.dependency(),
                                    leaks + " connection(s) held past the leak threshold (the pool's counter; the event"
                                            + " with the stack was not seen by this diagnoser)",
                                    Map.of("leaksReported", leaks), track.firstLeakMillis(),
                                    "return the connection on every path (try-with-resources)", "pool-starvation"));
                        }
                    }
                }
            }
        });
    }

    private void application(List<Verdict> out) {
        long now = clock.currentTimeMillis();
        Map<String, List<DiagnosisSource.PoolView>> byTarget = new LinkedHashMap<>();
        Map<String, List<DiagnosisSource.PoolView>> byServer = new LinkedHashMap<>();
        for (DiagnosisSource.PoolView v : source.pools()) {
            if (v.target() != null) {
                byTarget.computeIfAbsent(v.target(), k -> new ArrayList<>()).add(v);
                byServer.computeIfAbsent(serverOf(v.target()), k -> new ArrayList<>()).add(v);
            }
        }
        Set<String> duplicated = new java.util.HashSet<>();
        for (Map.Entry<String, List<DiagnosisSource.PoolView>> e : byTarget.entrySet()) {
            List<DiagnosisSource.PoolView> views = e.getValue();
            if (views.size() < 2) {
                continue;
            }
            String second = views.get(1).dependency();
            duplicated.add(second);
            int open = views.stream().mapToInt(v -> v.pool().stats().total()).sum();
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("target", e.getKey());
            ev.put("pools", views.size());
            ev.put("dependencies", views.stream().map(DiagnosisSource.PoolView::dependency).toList());
            ev.put("openConnections", open);
            ev.put("maxSizes", views.stream().map(v -> v.pool().config().maxSize()).toList());
            out.add(verdict("duplicate-pools", Layer.APPLICATION, second,
                    views.size() + " pools to " + e.getKey() + " (" + String.join(", ", views.stream()
                            .map(DiagnosisSource.PoolView::dependency).distinct().toList()) + "), holding " + open
                            + " connections where one pool would do: the one-pool-per-target singleton is broken",
                    ev, now, "get the pool from the one registry (strata.dependency(name)) everywhere; close pools"
                            + " created by hot reload or a DI scope",
                    "server-connection-limit", "connection-budget-exceeded", "pool-starvation"));
        }
        for (DiagnosisSource.Duplicate d : source.duplicates()) {
            if (duplicated.add(d.dependency())) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("target", d.target());
                ev.put("noticedBy", d.message());
                out.add(verdict("duplicate-pools", Layer.APPLICATION, d.dependency(), d.message(), ev, now,
                        "get the pool from the one registry (strata.dependency(name)) everywhere",
                        "server-connection-limit", "connection-budget-exceeded", "pool-starvation"));
            }
        }
        Map<String, Integer> limits = new HashMap<>();
        for (DiagnosisSource.ConnectionLimit l : source.connectionLimits()) {
            limits.put(l.target(), l.maxConnections());
        }
        for (Map.Entry<String, Integer> limit : limits.entrySet()) {
            List<DiagnosisSource.PoolView> views = source.pools().stream().filter(v -> v.target() != null
                    && (v.target().equals(limit.getKey()) || serverOf(v.target()).equals(limit.getKey()))).toList();
            int maxTotal = views.stream().mapToInt(v -> v.pool().config().maxSize()).sum();
            int open = views.stream().mapToInt(v -> v.pool().stats().total()).sum();
            if (maxTotal > limit.getValue() || open > limit.getValue()) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("target", limit.getKey());
                ev.put("budget", limit.getValue());
                ev.put("sumOfMaxSizes", maxTotal);
                ev.put("openConnections", open);
                Map<String, Object> shares = new LinkedHashMap<>();
                for (DiagnosisSource.PoolView v : views) {
                    shares.merge(v.dependency(), v.pool().config().maxSize(), (a, b) -> (Integer) a + (Integer) b);
                }
                ev.put("maxSizeByDependency", shares);
                out.add(verdict("connection-budget-exceeded", Layer.APPLICATION, limit.getKey(),
                        "the pools to " + limit.getKey() + " may open " + maxTotal + " connections (" + open + " open now),"
                                + " over its budget of " + limit.getValue(),
                        ev, now, "divide the budget between the dependencies of this server (leave 20% headroom for"
                                + " admin and deployments) and size each pool within its share",
                        "server-connection-limit", "pool-starvation"));
            }
        }
        for (Map.Entry<String, List<DiagnosisSource.PoolView>> e : byServer.entrySet()) {
            List<DiagnosisSource.PoolView> views = e.getValue();
            if (views.size() < 2) {
                continue;
            }
            Map<String, Object> drift = drift(views);
            if (!drift.isEmpty()) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("server", e.getKey());
                ev.put("dependencies", views.stream().map(DiagnosisSource.PoolView::dependency).distinct().toList());
                ev.put("differences", drift);
                out.add(verdict("configuration-drift", Layer.APPLICATION, e.getKey(),
                        views.size() + " pools to the server " + e.getKey() + " disagree on "
                                + String.join(", ", drift.keySet()) + ": one server, treated by different rules",
                        ev, now, "take the settings that follow the server (idle timeout, keepalive, validation,"
                                + " lifetime) from one place, the server's defaults in the config file",
                        "stale-connections-after-idle", "dead-flows-blackhole"));
            }
        }
    }

    /** {@code host:port} of a target {@code host:port/database[@user]}. */
    static String serverOf(String target) {
        int slash = target.indexOf('/');
        return slash < 0 ? target : target.substring(0, slash);
    }

    private static Map<String, Object> drift(List<DiagnosisSource.PoolView> views) {
        Map<String, java.util.function.Function<PoolConfig, Object>> fields = new LinkedHashMap<>();
        fields.put("idleTimeout", c -> c.idleTimeout().toMillis());
        fields.put("maxLifetime", c -> c.maxLifetime().toMillis());
        fields.put("keepaliveInterval", c -> c.keepaliveInterval().toMillis());
        fields.put("validateIdle", PoolConfig::validateIdle);
        fields.put("validationTimeout", c -> c.validationTimeout().toMillis());
        fields.put("acquisitionTimeout", c -> c.acquisitionTimeout().toMillis());
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, java.util.function.Function<PoolConfig, Object>> f : fields.entrySet()) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (DiagnosisSource.PoolView v : views) {
                values.put(v.dependency() + (values.containsKey(v.dependency()) ? "#" + values.size() : ""),
                        f.getValue().apply(v.pool().config()));
            }
            if (new LinkedHashSet<>(values.values()).size() > 1) {
                out.put(f.getKey() + (f.getKey().equals("validateIdle") ? "" : "Millis"), values);
            }
        }
        return out;
    }

    private Verdict verdict(String id, Layer layer, String dependency, String summary, Map<String, Object> evidence,
                            long sinceMillis, String fix, String... mayExplain) {
        long when = sinceMillis == Long.MAX_VALUE || sinceMillis <= 0 ? clock.currentTimeMillis() : sinceMillis;
        // the ids it may explain ride along in explains until order() keeps those that are present
        return new Verdict(id, layer, dependency, summary, evidence, List.of(mayExplain), fix, Instant.ofEpochMilli(when));
    }

    private static String seconds(long millis) {
        if (millis < 0) {
            return "an unknown time";
        }
        return millis < 1000 ? millis + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** Unsubscribes and stops the poller; {@link #diagnose()} still answers from what was seen. */
    @Override
    public void close() {
        intake.close();
    }

    /** Settings of a {@link Diagnoser}: window 60 s, poll every 250 ms, the system clock. */
    public static final class Builder {
        private final DiagnosisSource source;
        private Duration window = Duration.ofSeconds(60);
        private Duration pollInterval = Duration.ofMillis(250);
        private Clock clock = Clock.system();

        private Builder(DiagnosisSource source) {
            this.source = Require.nonNull("source", source);
        }

        /** How far back verdicts look; 5 s to 1 h. A fault that stops is forgotten after it. */
        public Builder window(Duration window) {
            this.window = Require.between("window", window, Duration.ofSeconds(5), Duration.ofHours(1));
            return this;
        }

        /** How often pool stats are sampled; 10 ms to 1 min. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Require.between("pollInterval", pollInterval, Duration.ofMillis(10), Duration.ofMinutes(1));
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Subscribes and starts polling. */
        public Diagnoser start() {
            return new Diagnoser(this);
        }
    }
}
