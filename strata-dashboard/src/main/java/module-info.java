/**
 * Strata dashboard: the live page and its event stream, mountable on any JDK HttpServer. Its
 * assets are resources of this module, read by its own classes.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer has no module-info; "micrometer.core" is its declared name
module dev.strata.dashboard {
    requires transitive dev.strata.core;
    requires transitive jdk.httpserver;    // the dashboard is an HttpHandler
    requires transitive micrometer.core;   // and reads a MeterRegistry

    exports dev.strata.dashboard;
}
