package dev.strata.shop.demo;

import java.io.PrintStream;
import java.util.Map;

/**
 * The live progress line per variant while a phase runs: requests sent, answered, degraded, failed
 * and dropped so far, requests in flight and the catalog's p99. On a terminal the lines are redrawn
 * in place every second; otherwise (a pipe, a CI log) a line is printed every few seconds.
 */
final class Progress {

    private static final int PLAIN_EVERY_TICKS = 3;

    private final PrintStream out;
    private final boolean live;
    private final long startNanos;
    private final Map<String, Map<String, EndpointStats>> stats;
    private final Map<String, LoadGenerator> generators;
    private int drawn;
    private int ticks;

    Progress(PrintStream out, boolean live, long startNanos, Map<String, Map<String, EndpointStats>> stats,
             Map<String, LoadGenerator> generators) {
        this.out = out;
        this.live = live;
        this.startNanos = startNanos;
        this.stats = stats;
        this.generators = generators;
    }

    /** Called once a second. */
    void tick() {
        ticks++;
        if (live) {
            clear();
            draw();
        } else if (ticks % PLAIN_EVERY_TICKS == 0) {
            for (String variant : stats.keySet()) {
                out.println(line(variant));
            }
        }
    }

    /** Prints a line about the phase (a change to a downstream) above the progress lines. */
    void note(String line) {
        if (live) {
            clear();
            out.println(line);
            draw();
        } else {
            out.println(line);
        }
    }

    /** Removes the progress lines before the phase's table is printed. */
    void finish() {
        if (live) {
            clear();
        }
        out.flush();
    }

    private void draw() {
        for (String variant : stats.keySet()) {
            out.println(line(variant));
        }
        drawn = stats.size();
        out.flush();
    }

    private void clear() {
        if (drawn > 0) {
            out.print("\033[" + drawn + "F\033[J"); // up to the first progress line, clear to the end
            drawn = 0;
        }
    }

    private String line(String variant) {
        long ok = 0;
        long fallback = 0;
        long errors = 0;
        long dropped = 0;
        for (EndpointStats endpoint : stats.get(variant).values()) {
            EndpointStats.Summary s = endpoint.summary();
            ok += s.ok();
            fallback += s.fallback();
            errors += s.errors();
            dropped += s.dropped();
        }
        EndpointStats.Summary catalog = stats.get(variant).get(Demo.CATALOG).summary();
        LoadGenerator generator = generators.get(variant);
        return String.format("  %5.1fs %-7s sent %5d  ok %5d  fallback %5d  errors %5d  dropped %4d  in flight %3d"
                        + "  catalog p99 %s",
                (System.nanoTime() - startNanos) / 1e9, variant, generator.sent(), ok, fallback, errors, dropped,
                generator.inFlight(), Report.ms(catalog.p99Nanos()));
    }
}
