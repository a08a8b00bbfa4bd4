package dev.strata.resilience;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * The logical call's deadline ran out, or the next step (an attempt, a backoff) could not fit in
 * what was left of it. The cause, when present, is the last attempt's failure.
 */
public class DeadlineExceededException extends StrataException {

    public DeadlineExceededException(String dependency, String detail, String message, Throwable cause) {
        super(Fault.of(FaultKind.DEADLINE_EXCEEDED, detail), dependency, message, cause);
    }
}
