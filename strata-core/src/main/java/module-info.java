/**
 * Strata core: every layer — network (L1), resources (L2), resilience (L3), application (L4) —
 * plus calls, faults, events, diagnosis and the HTTP edge. Depends on the JDK only.
 *
 * <p>Exports exactly the API packages. The {@code internal} packages are not API: each is
 * exported only to the Strata modules, named below, that need it, and may change in any release.
 */
module dev.strata.core {
    requires transitive java.sql;         // StrataDataSource is a javax.sql.DataSource
    requires transitive java.net.http;    // StrataHttpClient takes and returns java.net.http types
    requires transitive jdk.httpserver;   // health endpoints and HTTP edge filters for the JDK HttpServer
    requires jdk.net;                     // TCP keepalive tuning (ExtendedSocketOptions)
    // sun.misc.Signal, reached reflectively (SignalRelay): on the module path jdk.unsupported is not
    // resolved unless something requires it, and the second-signal forced shutdown would silently
    // fall back to the JVM's own handling.
    requires jdk.unsupported;

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

    // Not API. A Strata module that needs one of these is named here, and only here: strata-it's
    // ModuleDescriptorsTest and docs/architecture.md list the same hand-offs.
    //   Require (argument checks), Durations (the one duration reader/writer), Json (the one writer):
    exports dev.strata.internal to
            dev.strata.chaos, dev.strata.config, dev.strata.dashboard, dev.strata.doctor, dev.strata.junit,
            dev.strata.shop;
    //   BreakerPermits: the breaker's allocation-free permit protocol, for the Redis limiter's breaker.
    exports dev.strata.resilience.internal to dev.strata.redis;
    // dev.strata.call.internal and dev.strata.jdbc.internal stay inside core.
}
