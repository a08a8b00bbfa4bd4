/** Strata for OpenTelemetry: a span per call and per attempt, with the layer that failed. */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // the OTel API has no module-info; these are its declared names
module dev.strata.opentelemetry {
    requires transitive dev.strata.core;
    requires transitive io.opentelemetry.api;       // takes a Tracer / OpenTelemetry
    requires transitive io.opentelemetry.context;   // and a Context

    exports dev.strata.opentelemetry;
}
