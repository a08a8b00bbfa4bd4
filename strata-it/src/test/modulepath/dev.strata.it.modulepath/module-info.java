/**
 * A small application of Strata's modules, compiled and run on the module path by
 * {@code ModulePathTest}: a config load, a Redis limiter and the shop, as a user's named module
 * would use them. Everything else (core, chaos, the dashboard, snakeyaml, Lettuce and Netty,
 * embedded PostgreSQL and its libraries) comes through the modules' own descriptors, and
 * strata-doctor's config keys through service binding alone.
 */
module dev.strata.it.modulepath {
    requires dev.strata.config;
    requires dev.strata.redis;
    requires dev.strata.shop;
    requires java.net.http;
}
