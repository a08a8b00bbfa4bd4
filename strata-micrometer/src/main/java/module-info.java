/** Strata for Micrometer: meters for every pipeline, breaker, bulkhead, limiter and pool. */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer has no module-info; "micrometer.core" is its declared name
module dev.strata.micrometer {
    requires transitive dev.strata.core;
    requires transitive micrometer.core;   // binders take a MeterRegistry

    exports dev.strata.micrometer;
}
