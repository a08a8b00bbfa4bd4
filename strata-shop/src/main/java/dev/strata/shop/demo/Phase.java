package dev.strata.shop.demo;

import java.time.Duration;
import java.util.List;

/**
 * One phase of the demo's script.
 *
 * @param name stable name, used by {@code --phase} and in the JSON
 * @param happens what happens to the system, one line for the screen
 * @param seed the seed story it reproduces
 * @param containedBy which Strata pattern contains it, for the README and the summary
 * @param quietBefore time with no traffic at all before the phase's load starts
 * @param duration how long the load runs
 * @param actions changes to the downstreams at given offsets into the load
 */
record Phase(String name, String happens, String seed, String containedBy, Duration quietBefore, Duration duration,
             List<Action> actions) {

    /** A change made {@code at} into the phase's load, e.g. "recommendations start failing". */
    record Action(Duration at, String description, Runnable change) {
    }

    /** The script in order, with the downstream changes wired to {@code stage}. */
    static List<Phase> script(DemoSettings s, Stage stage) {
        String slow = fmt(DemoSettings.SEED_PAYMENTS_SLOW) + " (" + fmt(s.paymentsSlow()) + " demo time)";
        String normal = fmt(DemoSettings.SEED_PAYMENTS_NORMAL) + " (" + fmt(s.paymentsNormal()) + ")";
        return List.of(
                new Phase("steady", "payments answer in " + normal + "; every dependency healthy",
                        "baseline", "nothing to contain", Duration.ZERO, s.steady(),
                        List.of(new Action(Duration.ZERO, "payments at " + fmt(s.paymentsNormal()), stage::paymentsNormal))),
                new Phase("slow-payments", "payments answer in " + slow + " instead of " + normal,
                        "seed 001, 'The Day Everything Fell Down'",
                        "per-attempt timeout + deadline, payments bulkhead, circuit breaker, 'pending' fallback",
                        Duration.ZERO, s.slowPayments(),
                        List.of(new Action(Duration.ZERO, "payments slow down to " + fmt(s.paymentsSlow()), stage::paymentsSlow))),
                new Phase("recovery", "payments back to " + normal + "; breakers probe and close",
                        "seed 001, half-open breaker", "circuit breaker half-open probes", Duration.ZERO, s.recovery(),
                        List.of(new Action(Duration.ZERO, "payments back to " + fmt(s.paymentsNormal()), stage::paymentsNormal))),
                new Phase("quiet-then-burst", "no traffic for " + fmt(DemoSettings.SEED_QUIET) + " (" + fmt(s.quiet())
                        + "), longer than PostgreSQL's idle_session_timeout " + fmt(DemoSettings.SEED_DB_IDLE_TIMEOUT)
                        + " (" + fmt(s.dbIdleTimeout()) + "), then traffic again",
                        "seed 000, 'the 95% problem'", "pool keepalive and validation (L2 replaces stale L1 connections)",
                        s.quiet(), s.burst(), List.of()),
                new Phase("flapping-dependency", "recommendations fail for " + fmt(DemoSettings.SEED_OUTAGE) + " ("
                        + fmt(s.outage()) + "), then recover while every client retries",
                        "seed 001, 'The Retry Storm That Kept the Service Down'",
                        "retry with jitter and a retry budget, circuit breaker, 'popular items' fallback",
                        Duration.ZERO, s.flapping(),
                        List.of(new Action(s.outageStartsAfter(), "recommendations start failing (HTTP 503)",
                                        () -> stage.recommendationsFailing(true)),
                                new Action(s.outageStartsAfter().plus(s.outage()), "recommendations recover",
                                        () -> stage.recommendationsFailing(false)))));
    }

    private static String fmt(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }
}
