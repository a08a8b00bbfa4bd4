package dev.strata.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition with a generous bound; for tests that wait on a background thread. */
public final class Await {

    private Await() {
    }

    public static void until(Duration atMost, BooleanSupplier condition) {
        long end = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("condition not met within " + atMost);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", interrupted);
            }
        }
    }
}
