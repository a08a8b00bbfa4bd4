/** JUnit 5 support for Strata: a ChaosProxy in front of an address for a test class. */
module dev.strata.junit {
    requires transitive dev.strata.chaos;
    requires transitive org.junit.jupiter.api;

    exports dev.strata.junit;
}
