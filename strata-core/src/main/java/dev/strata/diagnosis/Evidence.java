package dev.strata.diagnosis;

import dev.strata.call.Clock;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.Layer;
import dev.strata.pool.Pool;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.RetryBudget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the {@link VerdictRule rules} of one {@link Diagnoser#diagnose()} read: the window's totals
 * per dependency, the breakers by name and the pools by dependency, gathered once when it is made;
 * the intake's pool and latency tracks and the source itself, read when a rule asks.
 */
final class Evidence {

    private final long now;
    private final long windowMillis;
    private final Clock clock;
    private final DiagnosisSource source;
    private final Intake intake;
    private final Map<String, Totals> totals;
    private final Map<String, CircuitBreaker> breakers = new HashMap<>();
    private final Map<String, RetryBudget> retryBudgets = new HashMap<>();
    private final Map<String, List<DiagnosisSource.PoolView>> poolsByDependency = new LinkedHashMap<>();

    /** Gathers the totals of the window ending at {@code now}, then the source's breakers, then its pools. */
    Evidence(long now, long windowMillis, Clock clock, DiagnosisSource source, Intake intake) {
        this.now = now;
        this.windowMillis = windowMillis;
        this.clock = clock;
        this.source = source;
        this.intake = intake;
        this.totals = Collections.unmodifiableMap(intake.totals(now));
        for (CircuitBreaker b : source.breakers()) {
            breakers.put(b.name(), b);
        }
        for (RetryBudget r : source.retryBudgets()) {
            retryBudgets.put(r.name(), r);
        }
        for (DiagnosisSource.PoolView v : source.pools()) {
            poolsByDependency.computeIfAbsent(v.dependency(), d -> new ArrayList<>()).add(v);
        }
    }

    /** When the diagnosis was asked for. */
    long now() {
        return now;
    }

    /** How far back the diagnosis looks. */
    long windowMillis() {
        return windowMillis;
    }

    /** The clock read again: the time a rule stamps on what it finds now (a little after {@link #now()}). */
    long clockMillis() {
        return clock.currentTimeMillis();
    }

    /** Each dependency with events in the window, and their totals. */
    Map<String, Totals> totals() {
        return totals;
    }

    /** The circuit breaker named after the dependency, or null. */
    CircuitBreaker breaker(String dependency) {
        return breakers.get(dependency);
    }

    /** The retry budget named after the dependency, or null. */
    RetryBudget retryBudget(String dependency) {
        return retryBudgets.get(dependency);
    }

    /** The pools of each dependency that has one. */
    Map<String, List<DiagnosisSource.PoolView>> poolsByDependency() {
        return Collections.unmodifiableMap(poolsByDependency);
    }

    /** The dependency's pools, or none. */
    List<DiagnosisSource.PoolView> pools(String dependency) {
        return poolsByDependency.getOrDefault(dependency, List.of());
    }

    /** {p50 ms, p99 ms, samples} of the dependency's probed attempts in the window, or null when not measured. */
    long[] latency(String dependency) {
        LatencyTrack latency = intake.latency(dependency);
        return latency == null ? null : latency.percentiles(clock.currentTimeMillis() - windowMillis);
    }

    /** Runs {@code reader} on the pools' tracks (by pool identity) while the poller is kept out. */
    void withPoolTracks(Consumer<Map<Pool<?>, PoolTrack>> reader) {
        intake.withPoolTracks(reader);
    }

    /** The source, for rules that read its pools, budgets and duplicates themselves. */
    DiagnosisSource source() {
        return source;
    }

    /**
     * A verdict since {@code sinceMillis}, or since now when that is unknown ({@code Long.MAX_VALUE}
     * or not positive), whose latest evidence was seen at {@code lastMillis} (now when unknown:
     * {@code Long.MIN_VALUE} or not positive). The latest evidence travels in {@link Verdict#until()}
     * of this raw, active verdict; {@link VerdictHistory} turns it into the verdict's state.
     * {@code mayExplain} holds every id it may explain; {@link VerdictOrder} keeps those that are present.
     */
    Verdict verdict(String id, Layer layer, String dependency, String summary, Map<String, Object> evidence,
                    long sinceMillis, long lastMillis, String fix, String... mayExplain) {
        long nowMillis = clock.currentTimeMillis();
        long when = sinceMillis == Long.MAX_VALUE || sinceMillis <= 0 ? nowMillis : sinceMillis;
        long last = lastMillis == Long.MIN_VALUE || lastMillis <= 0 ? nowMillis : Math.max(lastMillis, when);
        return new Verdict(id, layer, dependency, summary, evidence, List.of(mayExplain), fix, Instant.ofEpochMilli(when),
                Verdict.State.ACTIVE, Instant.ofEpochMilli(last));
    }
}
