package dev.strata.chaos;

/**
 * The random values of one call to one dependency, computed from (stream key, call number,
 * draw) by hashing, as a counter-based generator does: no shared state, so threads and the
 * traffic to other dependencies cannot shift them, and a seeded drill repeats exactly.
 */
record Draws(long key, long call) {

    /** The draws a call may make; each has its own slot, so skipping one does not shift the others. */
    enum Draw { LATENCY_ROLL, LATENCY_VALUE, FAILURE_ROLL, RESULT_ROLL }

    private static final int DRAWS = Draw.values().length;

    /**
     * The key of a dependency's stream: the seed mixed with a 64-bit hash (FNV-1a) of the exact
     * name, so streams of different dependencies are unrelated and stable across JVMs.
     */
    static long streamKey(long seed, String dependency) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < dependency.length(); i++) {
            hash = (hash ^ dependency.charAt(i)) * 0x100000001b3L;
        }
        return mix(seed ^ mix(hash));
    }

    /** A 64-bit finaliser (SplitMix64's): every input bit affects every output bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private long bits(Draw draw) {
        return mix(key + mix(call * DRAWS + draw.ordinal() + 1) * 0x9e3779b97f4a7c15L);
    }

    /** True with probability {@code rate}; 0 never, 1 always. */
    boolean roll(Draw draw, double rate) {
        return rate >= 1.0 || (rate > 0.0 && (bits(draw) >>> 11) * 0x1.0p-53 < rate);
    }

    /** Uniform in {@code 0..bound-1}, for a positive bound. */
    long below(Draw draw, long bound) {
        return Math.floorMod(bits(draw), bound); // bound is at most an hour in nanos: the bias is below 1e-6
    }
}
