package dev.strata.fault;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * A classified failure: its kind, a short human detail (for example "idle 45 s" for a stale
 * connection) and, when the dependency said when to come back, its retry-after hint.
 *
 * @param kind the kind, never null
 * @param detail extra context for a human, never null (may be empty)
 * @param retryAfter how long the dependency asked us to wait, or null when it said nothing
 */
public record Fault(FaultKind kind, String detail, Duration retryAfter) implements Serializable {

    public Fault {
        Objects.requireNonNull(kind, "kind");
        detail = detail == null ? "" : detail;
    }

    /** A fault of this kind with no detail and no retry-after hint. */
    public static Fault of(FaultKind kind) {
        return new Fault(kind, "", null);
    }

    /** A fault of this kind with a detail. */
    public static Fault of(FaultKind kind, String detail) {
        return new Fault(kind, detail, null);
    }

    public Layer layer() {
        return kind.layer();
    }

    public boolean retryable() {
        return kind.retryable();
    }

    /** {@code NETWORK/stale-connection (idle 45 s)}, or without the parenthesis when there is no detail. */
    @Override
    public String toString() {
        return detail.isEmpty() ? kind.qualifiedName() : kind.qualifiedName() + " (" + detail + ")";
    }
}
