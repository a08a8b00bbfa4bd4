package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.diagnosis.Severity;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.resilience.AttemptBudget;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Retry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The audit's retry and breaker rules. The retry-versus-deadline arithmetic is the runtime's own
 * {@link AttemptBudget}, the rule {@code Pipeline.build()} and so the config loader apply: a file
 * the shop accepts is never an audit error for that reason, and the other way round.
 */
final class RetryAudit {

    /**
     * Below this many calls a failure rate says little: at 10 calls and 50 % failures the true
     * rate is anywhere in about 19 %..81 % (binomial 95 % interval, seed 004); at 5 in about 6 %..94 %.
     */
    static final int MIN_MEANINGFUL_CALLS = 10;

    private RetryAudit() {
    }

    /** The core retry the configuration describes; the values were validated (or are the schema's defaults). */
    static Retry retry(int attempts, String type, Duration initial, double multiplier, Duration max, String jitter) {
        Backoff backoff = switch (type.toLowerCase(Locale.ROOT)) {
            case "fixed" -> Backoff.fixed(initial);
            case "decorrelated" -> Backoff.decorrelated(initial.isZero() ? Duration.ofNanos(1) : initial, max.compareTo(initial) < 0 ? initial : max);
            default -> Backoff.exponential(initial, multiplier, max.compareTo(initial) < 0 ? initial : max);
        };
        return Retry.builder().maxAttempts(attempts).backoff(backoff)
                .jitter(Jitter.valueOf(jitter.toUpperCase(Locale.ROOT))).build();
    }

    /** The retry-vs-deadline findings of one dependency: an error when an attempt can never start, a warning when it may not. */
    static void deadline(List<Finding> out, String at, Retry retry, Duration timeout, Duration deadline) {
        AttemptBudget budget = AttemptBudget.of(retry, timeout, deadline);
        int attempts = retry.maxAttempts();
        int never = budget.firstAttemptThatCannotStart();
        String per = timeout == null ? "0s (no timeout)" : fmt(timeout);
        if (never > 0) {
            long earliest = budget.earliestStartNanos(never);
            out.add(new Finding("retries-exceed-deadline", Layer.RESILIENCE, Severity.ERROR, at + ".retry",
                    range(never, attempts) + " of " + attempts + " can never start: attempt " + never + " starts at the earliest"
                            + " after " + fmt(earliest) + " (" + (never - 1) + " x " + per + " timeout + "
                            + fmt(earliest - (never - 1) * nanos(timeout)) + " shortest backoff), not before the "
                            + fmt(deadline) + " deadline",
                    evidence("attempts", attempts, "firstAttemptThatCannotStart", never, "earliestStartMillis", earliest / 1_000_000,
                            "timeoutMillis", timeout == null ? 0 : timeout.toMillis(), "deadlineMillis", deadline.toMillis()),
                    "at most " + (never - 1) + " attempts, or a shorter timeout or backoff: (attempts - 1) x timeout"
                            + " + shortest backoff < deadline (the runtime refuses this configuration with the same rule)"));
            return;
        }
        int maybe = budget.firstAttemptThatMayNotStart();
        if (maybe > 0) {
            long latest = budget.latestStartNanos(maybe);
            out.add(new Finding("retries-may-miss-deadline", Layer.RESILIENCE, Severity.WARNING, at + ".retry",
                    range(maybe, attempts) + " of " + attempts + " may not start: when the earlier attempts time out and the"
                            + " backoff is at its longest, attempt " + maybe + " would start after " + fmt(latest) + " ("
                            + (maybe - 1) + " x " + per + " timeout + " + fmt(latest - (maybe - 1) * nanos(timeout))
                            + " backoff), past the " + fmt(deadline) + " deadline; it runs only when earlier attempts fail"
                            + " faster or the jitter shortens the wait",
                    evidence("attempts", attempts, "firstAttemptThatMayNotStart", maybe, "latestStartMillis", latest / 1_000_000,
                            "earliestStartMillis", budget.earliestStartNanos(maybe) / 1_000_000,
                            "timeoutMillis", timeout == null ? 0 : timeout.toMillis(), "deadlineMillis", deadline.toMillis()),
                    "count on " + (maybe - 1) + " attempt(s) under this deadline, or shorten the timeout or backoff"));
        }
    }

    /** Retries with the retry budget switched off: during an outage every call becomes {@code attempts} calls (seed 001). */
    static void budget(List<Finding> out, String at, int attempts, boolean budgetOn) {
        if (budgetOn || attempts < 2) {
            return;
        }
        out.add(new Finding("retries-without-budget", Layer.RESILIENCE, Severity.ERROR, at + ".retry.budget",
                attempts + " attempts and no retry budget: when the dependency fails every call is sent " + attempts
                        + " times, so it receives " + attempts + "x its normal load just when it can least take it, and the"
                        + " storm keeps it down after it could have recovered",
                evidence("attempts", attempts, "loadMultiplierWhenFailing", attempts, "retryBudget", "none"),
                "retry.budget: {enabled: true, percent: 10%} (retries limited to about a tenth of calls), and backoff with"
                        + " full jitter"));
    }

    /** A breaker that decides on fewer calls than make a failure rate mean anything (seed 004). */
    static void breakerMinimum(List<Finding> out, String at, String mode, int windowSize, Integer minimumCalls, double failureRate) {
        if (mode.equalsIgnoreCase("consecutive_failures")) {
            return;
        }
        int minimum = minimumCalls == null ? windowSize : minimumCalls;
        if (minimum >= MIN_MEANINGFUL_CALLS) {
            return;
        }
        double half = 1.96 * Math.sqrt(failureRate * (1 - failureRate) / minimum);
        long low = Math.round(Math.max(0, failureRate - half) * 100);
        long high = Math.round(Math.min(1, failureRate + half) * 100);
        out.add(new Finding("breaker-minimum-calls-too-low", Layer.RESILIENCE, Severity.WARNING,
                at + ".breaker." + (minimumCalls == null ? "window_size" : "minimum_calls"),
                "the breaker may open after " + minimum + " calls (window " + windowSize + "): a "
                        + Math.round(failureRate * 100) + " % failure rate over " + minimum + " calls only says the true rate"
                        + " is somewhere in " + low + " %.." + high + " %, so a couple of hiccups open it",
                evidence("minimumCalls", minimum, "windowSize", windowSize, "failureRate", failureRate,
                        "trueRateLowPercent", low, "trueRateHighPercent", high, "meaningfulFrom", MIN_MEANINGFUL_CALLS),
                "breaker.minimum_calls: " + MIN_MEANINGFUL_CALLS + " or more (and window_size at least as large)"));
    }

    private static String range(int first, int attempts) {
        return first == attempts ? "attempt " + first : "attempts " + first + ".." + attempts;
    }

    private static long nanos(Duration d) {
        return d == null ? 0 : d.toNanos();
    }

    private static String fmt(Duration d) {
        return Durations.format(d);
    }

    private static String fmt(long nanos) {
        return Durations.format(nanos);
    }

    private static Map<String, Object> evidence(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }
}
