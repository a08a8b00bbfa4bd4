package dev.strata.bench.overload;

import dev.strata.call.ManualClock;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.RetryBudget;
import java.time.Duration;

/**
 * Retry amplification in a three-tier chain, client -> A -> B -> C, in virtual time: 1000 logical
 * calls per second: 10 s healthy, then B answers every call with an overload error (503) for
 * {@code failSeconds}, then 60 s healthy again. Each caller retries its downstream immediately (up to 3 attempts) and is guarded
 * by nothing, by Strata's {@link RetryBudget}, or by the budget plus an {@link AdaptiveThrottle}.
 * Amplification = attempts that reach B / logical calls, counted while B fails; recovery = seconds
 * after B heals until every second serves at least 90 % of the calls.
 */
final class TierChainSim {

    enum Guard { RETRIES_ONLY, RETRY_BUDGET, THROTTLE_AND_BUDGET }

    record Result(Guard guard, double amplificationAtB, double amplificationOverall, long logicalInFailure,
            long attemptsAtBInFailure, double recoverySeconds) {}

    private static final int MAX_ATTEMPTS = 3;

    private final class Tier {
        final Tier downstream;
        final boolean middle;
        final RetryBudget budget;
        final AdaptiveThrottle throttle;
        long attempts;

        Tier(String name, Tier downstream, boolean middle, Guard guard) {
            this.downstream = downstream;
            this.middle = middle;
            this.budget = guard == Guard.RETRIES_ONLY || downstream == null ? null
                    : RetryBudget.builder().name(name).clock(clock).build();
            this.throttle = guard == Guard.THROTTLE_AND_BUDGET && downstream != null
                    ? AdaptiveThrottle.builder(name).clock(clock).build() : null;
        }

        /** Serves one incoming attempt: true = answered, false = 503. */
        boolean handle() {
            attempts++;
            if (middle && failing) {
                return false;
            }
            return downstream == null || callDownstream();
        }

        boolean callDownstream() {
            if (budget != null) {
                budget.onCall();
            }
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                if (attempt > 0 && budget != null && !budget.tryWithdraw()) {
                    return false;
                }
                if (throttle != null && !throttle.tryAcquire()) {
                    return false; // refused locally: retrying a local refusal only adds load
                }
                boolean ok = downstream.handle();
                if (throttle != null) {
                    if (ok) {
                        throttle.onAccepted();
                    } else {
                        throttle.onRejected();
                    }
                }
                if (ok) {
                    return true;
                }
            }
            return false;
        }
    }

    private final ManualClock clock = new ManualClock();
    private boolean failing;

    /** Healthy time after the outage in which recovery is looked for. */
    static final int RECOVERY_SECONDS = 60;

    /** 10 s healthy, {@code failSeconds} with B failing, then {@link #RECOVERY_SECONDS} healthy. */
    static Result run(Guard guard, int failSeconds) {
        return new TierChainSim().simulate(guard, failSeconds);
    }

    private Result simulate(Guard guard, int failSeconds) {
        Tier c = new Tier("C", null, false, guard);
        Tier b = new Tier("B", c, true, guard);
        Tier a = new Tier("A", b, false, guard);
        Tier client = new Tier("client", a, false, guard);
        int perSecond = 1000;
        int seconds = 10 + failSeconds + RECOVERY_SECONDS;
        long[] okPerSecond = new long[seconds];
        long failFrom = 10L * perSecond;
        long failTo = failFrom + (long) failSeconds * perSecond;
        long bBefore = 0;
        long bInFailure = 0;
        for (long i = 0; i < (long) seconds * perSecond; i++) {
            failing = i >= failFrom && i < failTo;
            if (i == failFrom) {
                bBefore = b.attempts;
            }
            if (client.callDownstream()) {
                okPerSecond[(int) (i / perSecond)]++;
            }
            if (i == failTo - 1) {
                bInFailure = b.attempts - bBefore;
            }
            clock.advance(Duration.ofMillis(1));
        }
        long logicalInFailure = failTo - failFrom;
        // recovered = the first second after B heals from which every second serves >= 90 % of the calls
        int healed = (int) (failTo / perSecond);
        int recovered = seconds;
        for (int s = seconds - 1; s >= healed && okPerSecond[s] >= 0.9 * perSecond; s--) {
            recovered = s;
        }
        double recovery = recovered == seconds ? Double.POSITIVE_INFINITY : recovered - healed;
        return new Result(guard, (double) bInFailure / logicalInFailure, (double) b.attempts / ((long) seconds * perSecond),
                logicalInFailure, bInFailure, recovery);
    }
}
