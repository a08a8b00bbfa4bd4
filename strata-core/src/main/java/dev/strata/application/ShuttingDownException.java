package dev.strata.application;

import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;

/**
 * New work refused because the {@link Strata} runtime is shutting down. An HTTP server answers it
 * with {@code 503 Service Unavailable} and {@code Connection: close}; its fault kind is
 * {@link FaultKind#RESOURCE_CLOSED}, which no retry repeats.
 */
public final class ShuttingDownException extends StrataException {

    private static final long serialVersionUID = 1L;

    private final Strata.State state;

    ShuttingDownException(String dependency, Strata.State state) {
        super(FaultKind.RESOURCE_CLOSED, dependency, "refused: the Strata runtime is shutting down (" + state
                + "); new work is not accepted");
        this.state = state;
    }

    /** The runtime's state when the work was refused. */
    public Strata.State state() {
        return state;
    }
}
