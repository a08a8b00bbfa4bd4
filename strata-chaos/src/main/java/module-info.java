/**
 * Strata chaos: a TCP {@code ChaosProxy} with a Toxiproxy-compatible HTTP API, and in-process fault
 * injection for pipelines. Test and operator tools: a service depends on this module in test scope
 * only, so none of it ships in the runtime jar.
 */
module dev.strata.chaos {
    requires transitive dev.strata.core;
    requires jdk.httpserver;   // the Toxiproxy-compatible admin API

    exports dev.strata.chaos;
}
