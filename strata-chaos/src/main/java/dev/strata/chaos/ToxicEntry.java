package dev.strata.chaos;

/**
 * One version of a toxic inside a proxy. Every add or update makes a new id, so per-connection
 * state (the toxicity roll, timers, byte counts) starts afresh for the new version.
 */
record ToxicEntry(long id, Toxic toxic) {

    long millisNanos(String attribute) {
        return toxic.attribute(attribute) * 1_000_000L;
    }

    /** Whether this entry needs the proxy's timer: it acts on time passing, not only on data. */
    boolean timed() {
        return switch (toxic.type()) {
            case TIMEOUT -> toxic.attribute("timeout") > 0;
            case IDLE_CLOSE, IDLE_BLACKHOLE -> true;
            default -> false;
        };
    }

    /** Whether it acts on the whole connection rather than one direction's bytes. */
    boolean connectionWide() {
        return toxic.type() == ToxicType.IDLE_CLOSE || toxic.type() == ToxicType.IDLE_BLACKHOLE;
    }
}
