package dev.strata.resilience;

import dev.strata.fault.FaultKind;

/**
 * Which failures say a dependency (or the path to it) is overloaded: the drops that cut an
 * {@link AdaptiveLimit} and that {@link AdaptiveThrottle} does not count as accepts. Public
 * through {@link AdaptiveLimit#isDrop}.
 */
final class OverloadSignals {

    private static final boolean[] DROPS = drops();

    private OverloadSignals() {
    }

    static boolean isDrop(FaultKind kind) {
        return DROPS[kind.ordinal()];
    }

    private static boolean[] drops() {
        boolean[] d = new boolean[FaultKind.values().length];
        for (FaultKind k : new FaultKind[] {FaultKind.CONNECTION_REFUSED, FaultKind.CONNECT_TIMEOUT,
                FaultKind.CONNECTION_RESET, FaultKind.READ_TIMEOUT, FaultKind.POOL_EXHAUSTED, FaultKind.RATE_LIMITED,
                FaultKind.TOO_MANY_CONNECTIONS, FaultKind.DEADLINE_EXCEEDED, FaultKind.ATTEMPT_TIMEOUT,
                FaultKind.BULKHEAD_FULL, FaultKind.RETRIES_EXHAUSTED, FaultKind.RETRY_BUDGET_EXHAUSTED,
                FaultKind.SERVER_ERROR}) {
            d[k.ordinal()] = true;
        }
        return d;
    }
}
