package dev.strata.fault;

import java.time.Duration;
import java.util.Objects;

/**
 * A failure raised or classified by Strata. It always carries its {@link Fault} (and so its
 * {@link Layer}), and the name of the dependency it happened on when known.
 *
 * <p>Subclasses exist where callers commonly want to catch one case; everything else is
 * distinguished by {@link #kind()}.
 */
public class StrataException extends RuntimeException {

    private final Fault fault;
    private final String dependency;

    public StrataException(Fault fault, String dependency, String message, Throwable cause) {
        super(message, cause);
        this.fault = Objects.requireNonNull(fault, "fault");
        this.dependency = dependency;
    }

    public StrataException(FaultKind kind, String dependency, String message) {
        this(Fault.of(kind), dependency, message, null);
    }

    public StrataException(FaultKind kind, String dependency, String message, Throwable cause) {
        this(Fault.of(kind), dependency, message, cause);
    }

    public Fault fault() {
        return fault;
    }

    public FaultKind kind() {
        return fault.kind();
    }

    public Layer layer() {
        return fault.layer();
    }

    /** The dependency this happened on, or null when raised outside any named dependency. */
    public String dependency() {
        return dependency;
    }

    /** The dependency's retry-after hint, or null. */
    public Duration retryAfter() {
        return fault.retryAfter();
    }

    @Override
    public String getMessage() {
        String prefix = dependency == null ? "" : "[" + dependency + "] ";
        return prefix + fault + ": " + super.getMessage();
    }
}
