package dev.strata.shop.demo;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.shop.ShopService;

/**
 * Which layer broke, as opposed to which policy reacted: when a failure is one of Strata's own
 * (L3: retries exhausted, deadline exceeded) and carries the failure that caused it, the cause's
 * fault is the answer (a 503, a reset, a stale connection). A refusal with no cause (an open
 * breaker, a full bulkhead) stays on L3: no call was made, so nothing below broke this time.
 */
final class RootFault {

    private RootFault() {
    }

    static Fault of(FaultClassifier classifier, Throwable failure) {
        return ShopService.rootFault(classifier, failure);
    }
}
