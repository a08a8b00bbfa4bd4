/**
 * Strata core: every layer — network (L1), resources (L2), resilience (L3), application (L4) —
 * plus calls, faults, events, chaos, diagnosis and the HTTP edge. Depends on the JDK only.
 *
 * <p>Exports exactly the API packages. {@code dev.strata.internal} (argument checks, duration
 * formatting, the per-thread call state and the hand-offs between Strata's own packages) is not
 * API: it is exported only to Strata's own modules that need it.
 */
module dev.strata.core {
    requires transitive java.sql;         // StrataDataSource is a javax.sql.DataSource
    requires transitive java.net.http;    // StrataHttpClient takes and returns java.net.http types
    requires transitive jdk.httpserver;   // health endpoints and HTTP edge filters for the JDK HttpServer
    requires jdk.net;                     // TCP keepalive tuning (ExtendedSocketOptions)

    exports dev.strata.application;
    exports dev.strata.call;
    exports dev.strata.diagnosis;
    exports dev.strata.fault;
    exports dev.strata.http;
    exports dev.strata.network;
    exports dev.strata.observe;
    exports dev.strata.resilience;
    exports dev.strata.pool;
    exports dev.strata.jdbc;
    exports dev.strata.ratelimit;

    // Not API. A Strata module that uses it and has a module-info of its own is added here.
    exports dev.strata.internal to dev.strata.chaos, dev.strata.junit;
    exports dev.strata.call.internal to dev.strata.junit;
    exports dev.strata.resilience.internal to dev.strata.junit;
}
