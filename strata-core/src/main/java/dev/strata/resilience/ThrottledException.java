package dev.strata.resilience;

import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import java.util.Locale;

/**
 * Thrown instead of running a call that the {@link AdaptiveThrottle} refused locally because the
 * dependency has been accepting too few calls. The call was not attempted. Kind
 * {@link FaultKind#THROTTLED}.
 */
public final class ThrottledException extends StrataException {

    private final double probability;

    /**
     * @param dependency the dependency name
     * @param probability the refusal probability in force
     */
    public ThrottledException(String dependency, double probability) {
        super(FaultKind.THROTTLED, dependency, null);
        this.probability = probability;
    }

    /** No stack trace: refusals come at the caller's full rate while the dependency fails. */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    @Override
    public String getMessage() {
        return String.format(Locale.ROOT, "[%s] %s: refused locally (%.0f%% of calls refused while the dependency accepts too few)",
                dependency(), fault(), probability * 100);
    }

    /** The refusal probability when the call was refused. */
    public double probability() {
        return probability;
    }
}
