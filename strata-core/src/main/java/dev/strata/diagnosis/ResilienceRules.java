package dev.strata.diagnosis;

import static dev.strata.diagnosis.VerdictRule.seconds;

import dev.strata.diagnosis.EventWindow.Signal;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.resilience.CircuitBreaker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L3, and the remote side it reacts to, from each dependency's events, its breaker's metrics and
 * the latency probe: {@code dependency-failing}, {@code retry-storm}, {@code retries-masking-lower-layer},
 * {@code breaker-flapping}, {@code dependency-slow} and {@code timeout-too-tight}.
 */
final class ResilienceRules implements VerdictRule {

    @Override
    public void evaluate(Evidence in, List<Verdict> out) {
        for (Map.Entry<String, Totals> e : in.totals().entrySet()) {
            resilience(in, e.getKey(), e.getValue(), in.breaker(e.getKey()), out);
        }
    }

    private static void resilience(Evidence in, String dep, Totals t, CircuitBreaker breaker, List<Verdict> out) {
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
        if (t.count(Signal.BUDGET_EXHAUSTED) > 0) {
            // the budget at work: retries were refused, so they did not add to the load
            breakerEvidence.put("retryBudgetExhausted", t.count(Signal.BUDGET_EXHAUSTED));
        }

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
            out.add(in.verdict("dependency-failing", Layer.REMOTE, dep,
                    "the dependency itself fails: " + remoteAttempts + " attempt(s) got server errors"
                            + (m == null ? "" : ", breaker " + m.state() + " at " + breakerEvidence.get("breakerFailureRate")
                            + "% failures") + "; retries and the breaker are reacting, not causing it",
                    ev, t.firstIn(Layer.REMOTE), Math.max(t.lastIn(Layer.REMOTE), t.lastOf(Signal.BREAKER_OPENED)),
                    "look at the dependency (its logs, its own dependencies); keep the breaker open and serve the"
                            + " fallback meanwhile; do not raise retries",
                    "retry-storm", "breaker-flapping", "timeout-too-tight", "adaptive-limit-at-minimum"));
        }
        long budgetRefused = t.count(Signal.BUDGET_EXHAUSTED);
        boolean budgeted = in.retryBudget(dep) != null || budgetRefused > 0;
        long logicalTroubled = t.count(Signal.GAVE_UP) + succeededLater;
        double amplification = logicalTroubled == 0 ? 0 : (double) attemptFailures / logicalTroubled;
        // A retry budget bounds retries to its promise (a share of calls plus a floor) by
        // construction, and its refusals are it keeping that promise: the cause is whatever made
        // the attempts fail, reported as its own verdict. A storm is retries multiplying the
        // attempts of failing calls with nothing to cap them.
        if (!budgeted && attemptFailures >= 20 && amplification >= 2.0) {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("failedAttempts", attemptFailures);
            ev.put("callsThatRetried", logicalTroubled);
            ev.put("attemptsPerTroubledCall", Math.round(amplification * 100) / 100.0);
            ev.put("retryBudget", "none");
            ev.put("highestAttempt", Math.max(t.maxOf(Signal.ATTEMPT_FAILED), t.maxOf(Signal.GAVE_UP)));
            ev.put("failuresByKind", t.callFaults());
            ev.putAll(breakerEvidence);
            ev.put("events", t.lines(4, Signal.ATTEMPT_FAILED.ordinal(), Signal.GAVE_UP.ordinal()));
            out.add(in.verdict("retry-storm", Layer.RESILIENCE, dep,
                    "retries multiply the load: " + ev.get("attemptsPerTroubledCall") + " failed attempts per call that"
                            + " needed a retry, and no retry budget caps them",
                    ev, t.firstOf(Signal.ATTEMPT_FAILED), t.lastOf(Signal.ATTEMPT_FAILED, Signal.GAVE_UP),
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
            out.add(in.verdict("retries-masking-lower-layer", masked, dep,
                    succeededLater + " call(s) succeeded only on a later attempt after " + masked.label() + " failures ("
                            + String.join(", ", lowerKinds) + "): retries hide a " + masked.label()
                            + " problem, they do not fix it",
                    ev, Math.min(t.firstIn(masked), t.firstOf(Signal.RETRY_SUCCEEDED)), t.lastIn(masked),
                    "fix the " + masked.label() + " cause named in failuresByKind; retries should rarely be needed"
                            + " (under 5% of calls)"));
        }
        if (t.count(Signal.BREAKER_OPENED) >= 3 && t.count(Signal.BREAKER_CLOSED) >= 2) {
            Map<String, Object> ev = new LinkedHashMap<>(breakerEvidence);
            ev.put("failuresByKind", t.callFaults());
            ev.put("events", t.lines(6, Signal.BREAKER_OPENED.ordinal(), Signal.BREAKER_CLOSED.ordinal()));
            out.add(in.verdict("breaker-flapping", Layer.RESILIENCE, dep,
                    "the breaker opened " + t.count(Signal.BREAKER_OPENED) + " and closed " + t.count(Signal.BREAKER_CLOSED)
                            + " times in " + seconds(in.windowMillis()) + ": its threshold sits inside the dependency's"
                            + " normal failure rate"
                            + (m == null ? "" : " (" + breakerEvidence.get("breakerFailureRate") + "% now)"),
                    ev, t.firstOf(Signal.BREAKER_OPENED), t.lastOf(Signal.BREAKER_OPENED, Signal.BREAKER_CLOSED),
                    "raise the failure-rate threshold above the normal rate, widen the window / minimum calls, and"
                            + " grow the open wait after each failed probe (openWaitMultiplier)"));
        }
        // A timeout is seen as the timer firing or, when the client's own timeout won the race, as
        // the attempt's failure: count whichever saw more.
        long attemptTimeouts = Math.max(t.count(Signal.TIMEOUT_FIRED), t.calls(FaultKind.ATTEMPT_TIMEOUT));
        long deadlines = Math.max(t.count(Signal.DEADLINE_FIRED), t.calls(FaultKind.DEADLINE_EXCEEDED));
        long timeouts = attemptTimeouts + deadlines;
        long lastTimeout = Math.max(t.lastOf(Signal.TIMEOUT_FIRED, Signal.DEADLINE_FIRED),
                Math.max(t.lastSeen(FaultKind.ATTEMPT_TIMEOUT), t.lastSeen(FaultKind.DEADLINE_EXCEEDED)));
        long firstTimeout = Math.min(Math.min(t.firstOf(Signal.TIMEOUT_FIRED), t.firstOf(Signal.DEADLINE_FIRED)),
                Math.min(t.firstSeen(FaultKind.ATTEMPT_TIMEOUT), t.firstSeen(FaultKind.DEADLINE_EXCEEDED)));
        if (timeouts >= 5) { // a couple of timeouts in a burst are not a pattern
            long[] measured = in.latency(dep);
            long bound = t.maxOf(Signal.TIMEOUT_FIRED);
            boolean fastOperation = measured != null && bound > 0 && measured[0] < bound;
            boolean completesLater = succeededLater > 0;
            boolean tooTight = measured == null ? completesLater : fastOperation;
            if (!tooTight && attemptTimeouts >= 5) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("timeoutsFired", attemptTimeouts);
                ev.put("attemptTimeoutMillis", bound);
                ev.put("measuredP50Millis", measured == null ? "not measured (no latency probe on this dependency)" : measured[0]);
                ev.put("retriesSucceeded", succeededLater);
                ev.put("callsGaveUp", t.count(Signal.GAVE_UP));
                ev.putAll(breakerEvidence);
                ev.put("events", t.lines(4, Signal.TIMEOUT_FIRED.ordinal(), Signal.ATTEMPT_FAILED.ordinal(), Signal.GAVE_UP.ordinal()));
                out.add(in.verdict("dependency-slow", Layer.REMOTE, dep,
                        "the dependency answers too slowly: " + attemptTimeouts + " attempt(s) ran into the "
                                + (bound < 0 ? "" : bound + " ms ") + "timeout"
                                + (measured == null ? " and retrying did not help" : " while measured calls take "
                                + measured[0] + " ms (p50)") + "; the timeout is protecting the caller, not causing this",
                        ev, firstTimeout, lastTimeout,
                        "look at the dependency's latency (its load, its own dependencies); keep the timeout and serve"
                                + " the fallback; let the breaker open on slow calls (slow_call_duration)",
                        "retry-storm", "breaker-flapping", "adaptive-limit-at-minimum"));
            }
            if (tooTight) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("timeoutsFired", attemptTimeouts);
                ev.put("deadlinesFired", deadlines);
                ev.put("attemptTimeoutMillis", bound);
                ev.put("measuredP50Millis", measured == null ? "not measured (no latency probe on this dependency)" : measured[0]);
                ev.put("measuredP99Millis", measured == null ? "unknown" : measured[1]);
                ev.put("measuredSamples", measured == null ? 0 : measured[2]);
                ev.put("retriesSucceeded", succeededLater);
                ev.put("events", t.lines(4, Signal.TIMEOUT_FIRED.ordinal(), Signal.DEADLINE_FIRED.ordinal()));
                out.add(in.verdict("timeout-too-tight", Layer.RESILIENCE, dep,
                        timeouts + " attempt(s) timed out at " + (bound < 0 ? "the deadline" : bound + " ms") + " on an"
                                + " operation that "
                                + (measured == null ? "succeeds when retried" : "usually takes " + measured[0] + " ms (p99 "
                                + measured[1] + " ms)") + ": the timeout cuts normal calls, not hung ones",
                        ev, firstTimeout, lastTimeout,
                        "set the attempt timeout above the measured p99"
                                + (measured == null ? "" : " (" + measured[1] + " ms), e.g. " + Math.max(measured[1] * 2, bound + 1) + " ms")
                                + " and keep the total deadline to cover attempts plus backoff"));
            }
        }
    }
}
