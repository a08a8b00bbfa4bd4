package dev.strata.resilience;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * The dependency's {@link RetryBudget} refused a retry: too many calls to it are already being
 * retried, so this one ends with its last failure (the cause) instead of adding load. Its kind is
 * {@link FaultKind#RETRY_BUDGET_EXHAUSTED}; {@link #lastFault()} is the last attempt's fault.
 */
public class RetryBudgetExhaustedException extends StrataException {

    private final Fault lastFault;
    private final int attempts;

    public RetryBudgetExhaustedException(String dependency, int attempts, Fault lastFault, String message, Throwable cause) {
        super(Fault.of(FaultKind.RETRY_BUDGET_EXHAUSTED, "after attempt " + attempts + ", last " + lastFault),
                dependency, message, cause);
        this.lastFault = lastFault;
        this.attempts = attempts;
    }

    /** The classified failure of the last attempt. */
    public Fault lastFault() {
        return lastFault;
    }

    /** How many attempts were made before the budget refused another. */
    public int attempts() {
        return attempts;
    }
}
