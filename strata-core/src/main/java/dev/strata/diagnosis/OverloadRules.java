package dev.strata.diagnosis;

import static dev.strata.diagnosis.VerdictRule.seconds;

import dev.strata.diagnosis.EventWindow.Signal;
import dev.strata.diagnosis.EventWindow.Totals;
import dev.strata.fault.Layer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L3 overload control, from each adaptive limit's {@code adaptive-limit.minimum} (WARNING) and
 * {@code adaptive-limit.recovered} events: {@code adaptive-limit-at-minimum}. A limit at its
 * minimum refuses nearly every call locally; the verdict stays active while it sits there (its
 * evidence is "now") and recovers from the moment it left.
 */
final class OverloadRules implements VerdictRule {

    @Override
    public void evaluate(Evidence in, List<Verdict> out) {
        for (Map.Entry<String, Totals> e : in.totals().entrySet()) {
            Totals t = e.getValue();
            if (t.count(Signal.LIMIT_AT_MINIMUM) > 0) {
                atMinimum(in, e.getKey(), t, out);
            }
        }
    }

    private static void atMinimum(Evidence in, String dep, Totals t, List<Verdict> out) {
        long reached = t.lastOf(Signal.LIMIT_AT_MINIMUM);
        long left = t.lastOf(Signal.LIMIT_LEFT_MINIMUM);
        boolean still = reached > left;
        long minimum = t.maxOf(Signal.LIMIT_AT_MINIMUM);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("minimumLimit", minimum < 0 ? "unknown" : minimum);
        ev.put("timesAtMinimum", t.count(Signal.LIMIT_AT_MINIMUM));
        ev.put("timesLeftMinimum", t.count(Signal.LIMIT_LEFT_MINIMUM));
        ev.put("atMinimumNow", still);
        ev.put("callsRefusedByLimits", t.count(Signal.BULKHEAD_FULL));
        ev.put("events", t.lines(4, Signal.LIMIT_AT_MINIMUM.ordinal(), Signal.LIMIT_LEFT_MINIMUM.ordinal()));
        String summary = still
                ? "the adaptive limit sits at its minimum" + (minimum < 0 ? "" : " (" + minimum + ")") + " since "
                        + seconds(in.now() - reached) + " ago: the dependency is slow or dropping"
                        + " calls, so nearly every call is refused locally"
                : "the adaptive limit was at its minimum and has left it: the dependency had been slow or dropping calls";
        out.add(in.verdict("adaptive-limit-at-minimum", Layer.RESILIENCE, dep, summary, ev, t.firstOf(Signal.LIMIT_AT_MINIMUM),
                still ? Long.MIN_VALUE : left,
                "look at the dependency's latency and failures (dependency-slow, dependency-failing explain this); the limit"
                        + " rises by itself once latency is back at its baseline; raise adaptive_limit.min only if the"
                        + " dependency can take that much concurrency even when slow"));
    }
}
