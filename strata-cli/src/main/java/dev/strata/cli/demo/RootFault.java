package dev.strata.cli.demo;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;

/**
 * Which layer broke, as opposed to which policy reacted: when a failure is one of Strata's own
 * (L3: retries exhausted, deadline exceeded) and carries the failure that caused it, the cause's
 * fault is the answer (a 503, a reset, a stale connection). A refusal with no cause (an open
 * breaker, a full bulkhead) stays on L3: no call was made, so nothing below broke this time.
 */
final class RootFault {

    private static final int MAX_DEPTH = 8;

    private RootFault() {
    }

    static Fault of(FaultClassifier classifier, Throwable failure) {
        Fault fault = classifier.classify(failure);
        Throwable current = failure;
        for (int depth = 0; depth < MAX_DEPTH && fault.layer() == Layer.RESILIENCE && current.getCause() != null; depth++) {
            current = current.getCause();
            Fault cause = classifier.classify(current);
            if (cause.layer() == Layer.APPLICATION && cause.kind() == dev.strata.fault.FaultKind.UNCLASSIFIED) {
                break; // a wrapper nobody recognises says less than the policy's own fault
            }
            fault = cause;
        }
        return fault;
    }
}
