/** Strata cache: a stale-bounded cache in front of a dependency, on Caffeine. */
module dev.strata.cache {
    requires transitive dev.strata.core;
    requires com.github.benmanes.caffeine;   // the store; no Caffeine type is in this module's API

    exports dev.strata.cache;
}
