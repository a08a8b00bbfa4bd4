package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * The text of a pipeline's events, in one place so the sync and async paths say the same thing.
 * Every method checks first whether anyone listens at the event's level, so a quiet bus costs no
 * string building.
 */
final class PipelineEvents implements Timeout.Expiry {

    /** A start time that was not read because nothing needed it. */
    static final long UNMEASURED = Long.MIN_VALUE;

    private final String name;
    private final EventBus events;
    private final Clock clock;
    private final int maxAttempts;

    PipelineEvents(String name, EventBus events, Clock clock, Retry retry) {
        this.name = name;
        this.events = events;
        this.clock = clock;
        this.maxAttempts = retry == null ? 1 : retry.maxAttempts();
    }

    boolean isActive(Level level) {
        return events.isActive(level);
    }

    void publish(Level level, String type, Fault fault, String message) {
        events.publish(new BasicEvent(clock.currentTimeMillis(), name, type, Layer.RESILIENCE, level, fault, message));
    }

    /**
     * Attempt {@code n} failed and the retry backs off for {@code delayNanos}. INFO, not WARN: the
     * retry may well succeed; the final failure ({@link #gaveUp}, {@link #stopped}) is the warning.
     */
    void attemptFailed(Fault fault, int n, int max, long took, long delayNanos, Deadline d) {
        if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "retry.attempt-failed", fault, "attempt " + n + "/" + max + " failed: " + fault
                    + after(took) + "; retrying in " + Durations.format(delayNanos) + deadlineLeft(d));
        }
    }

    /** Attempt {@code n} failed and ends the call, for {@code because}. */
    void gaveUp(boolean retryConfigured, boolean exhausted, String because, Fault fault, int n, int max, long took, Deadline d) {
        Level level = fault.layer() == Layer.APPLICATION ? Level.INFO : Level.WARNING;
        if (events.isActive(level)) {
            publish(level, retryConfigured ? "retry.gave-up" : "call.failed", fault, "attempt " + n + "/" + max + " failed: "
                    + fault + after(took) + "; " + (exhausted ? "giving up: " : "not retried: ") + because
                    + deadlineLeft(d));
        }
    }

    /** The retry stopped before backing off, for {@code because} (breaker, budget, deadline, max duration). */
    void stopped(String because, Fault fault, int n, int max, long took, Deadline d) {
        if (events.isActive(Level.WARNING)) {
            publish(Level.WARNING, "retry.gave-up", fault, "attempt " + n + "/" + max + " failed: " + fault + after(took)
                    + "; giving up: " + because + deadlineLeft(d));
        }
    }

    void retrySucceeded(int n, int max) {
        if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "retry.succeeded", null, "attempt " + n + "/" + max + " succeeded after " + (n - 1)
                    + (n == 2 ? " retry" : " retries"));
        }
    }

    void hedgeStarted(int hedgeNumber, int maxHedges, long delayNanos) {
        if (events.isActive(Level.DEBUG)) {
            publish(Level.DEBUG, "hedge.started", null, "hedge " + hedgeNumber + "/" + maxHedges
                    + " started: no answer after " + Durations.format(delayNanos));
        }
    }

    void fallbackInvoked(Fault fault) {
        if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "fallback.invoked", fault, "fallback invoked for " + fault);
        }
    }

    /** Every fallback of the chain failed: the original failure stands. */
    void fallbackFailed(Fault fault, List<Throwable> failed) {
        if (events.isActive(Level.WARNING)) {
            publish(Level.WARNING, "fallback.failed", fault, "fallback for " + fault + " failed too: "
                    + failed.stream().map(Throwable::toString).toList() + "; the original failure stands");
        }
    }

    /** A later fallback answered, but the ones before it failed: a broken cache must still be seen. */
    void earlierFallbacksFailed(Fault fault, List<Throwable> failed) {
        if (!failed.isEmpty() && events.isActive(Level.WARNING)) {
            for (int i = 0; i < failed.size(); i++) {
                publish(Level.WARNING, "fallback.failed", fault, "fallback " + (i + 1) + " for " + fault + " failed: "
                        + failed.get(i) + "; a later fallback in the chain answered");
            }
        }
    }

    /** Reports attempt {@code n}'s bound firing as a {@code timeout.fired} event, built only when someone listens. */
    @Override
    public void fired(int n, long boundNanos, boolean byDeadline) {
        int max = maxAttempts;
        if (byDeadline) {
            if (events.isActive(Level.WARNING)) {
                publish(Level.WARNING, "timeout.fired", Fault.of(FaultKind.DEADLINE_EXCEEDED, "during attempt " + n),
                        "attempt " + n + "/" + max + " cut by the deadline: " + Durations.format(boundNanos)
                                + " were left when it began");
            }
        } else if (events.isActive(Level.INFO)) {
            publish(Level.INFO, "timeout.fired", Fault.of(FaultKind.ATTEMPT_TIMEOUT, "after " + Durations.format(boundNanos)),
                    "attempt " + n + "/" + max + " timed out after its " + Durations.format(boundNanos) + " timeout; interrupted");
        }
    }

    /** {@code " after 2ms"}, or nothing when the attempt's start was not measured. */
    static String after(long took) {
        return took == UNMEASURED ? "" : " after " + Durations.format(took);
    }

    static String deadlineLeft(Deadline d) {
        return d == null ? "" : " (deadline left " + Durations.format(d.remainingNanos()) + ")";
    }
}
