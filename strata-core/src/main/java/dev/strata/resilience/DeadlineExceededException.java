package dev.strata.resilience;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * The logical call's deadline ran out, or the next step (an attempt, a backoff) could not fit in
 * what was left of it. The cause, when present, is the last attempt's failure.
 */
public class DeadlineExceededException extends StrataException {

    /** Set when the deadline was spent before the call's first attempt could start. */
    private final boolean beforeFirstAttempt;

    public DeadlineExceededException(String dependency, String detail, String message, Throwable cause) {
        this(dependency, detail, message, cause, false);
    }

    private DeadlineExceededException(String dependency, String detail, String message, Throwable cause,
                                      boolean beforeFirstAttempt) {
        super(Fault.of(FaultKind.DEADLINE_EXCEEDED, detail), dependency, message, cause);
        this.beforeFirstAttempt = beforeFirstAttempt;
    }

    /** No time was left for attempt {@code n}; when {@code n} is 1 the call never reached the dependency. */
    static DeadlineExceededException noTimeFor(String dependency, int n, String message) {
        return new DeadlineExceededException(dependency, "no time left for attempt " + n, message, null, n == 1);
    }

    /**
     * Whether the deadline was already spent before the first attempt could start, so the
     * dependency never saw the call (an inherited deadline that expired upstream). A circuit
     * breaker does not count such a call: it says nothing about the dependency's health.
     */
    public boolean beforeFirstAttempt() {
        return beforeFirstAttempt;
    }
}
