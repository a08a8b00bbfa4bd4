package dev.strata.shop.demo;

import dev.strata.internal.Require;
import java.time.Duration;

/**
 * Every number of the demo, derived from the seeds' numbers by one time-compression factor so the
 * ratios stay as in the seeds: payments answer in 200 ms normally and 5 s when slow (25x); the
 * database closes sessions idle for 30 s, Strata's keepalive pings every 20 s and the quiet period
 * lasts 45 s; a checkout has a 5 s budget and a payment attempt 2 s; the naive retries back off 1 s,
 * 2 s, 4 s without jitter; recommendations fail for 30 s. With the default factor of 10, 5 s becomes
 * 500 ms and 30 s becomes 3 s.
 *
 * <p>Phase lengths and arrival rates are the demo's own choice (long enough for stable numbers,
 * short enough for a shared 2-core machine); {@link #quick()} shortens the phases only, never the
 * ratios.
 *
 * @param timeCompression seed seconds per demo second
 * @param steady length of the steady phase (demo time)
 * @param slowPayments length of the slow-payments phase
 * @param recovery length of the recovery phase
 * @param burst length of the traffic after the quiet period
 * @param flapping length of the flapping-dependency phase
 * @param catalogPerSecond catalog arrivals per second, per variant
 * @param checkoutPerSecond checkout arrivals per second, per variant
 * @param recommendationsPerSecond recommendations arrivals per second, per variant
 * @param maxInFlight the load generator's cap on outstanding requests, per variant
 * @param poolSize database connections per variant
 * @param naiveThreads threads of the naive variant's one shared executor
 */
public record DemoSettings(int timeCompression, Duration steady, Duration slowPayments, Duration recovery,
                           Duration burst, Duration flapping, double catalogPerSecond, double checkoutPerSecond,
                           double recommendationsPerSecond, int maxInFlight, int poolSize, int naiveThreads) {

    // The seeds' numbers, in seed time.
    static final Duration SEED_PAYMENTS_NORMAL = Duration.ofMillis(200);
    static final Duration SEED_PAYMENTS_SLOW = Duration.ofSeconds(5);
    static final Duration SEED_INVENTORY = Duration.ofMillis(50);
    static final Duration SEED_RECOMMENDATIONS = Duration.ofMillis(80);
    static final Duration SEED_CHECKOUT_BUDGET = Duration.ofSeconds(5);
    static final Duration SEED_PAYMENT_ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration SEED_DB_IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration SEED_KEEPALIVE = Duration.ofSeconds(20);
    static final Duration SEED_POOL_IDLE = Duration.ofSeconds(25);
    static final Duration SEED_QUIET = Duration.ofSeconds(45);
    static final Duration SEED_OUTAGE = Duration.ofSeconds(30);
    static final Duration SEED_NAIVE_BACKOFF = Duration.ofSeconds(1);
    static final Duration SEED_SAFETY_CAP = Duration.ofSeconds(30);
    static final Duration SEED_BREAKER_OPEN = Duration.ofSeconds(10);
    /** Demo time into the flapping phase before the outage: enough for a steady reference second. */
    static final Duration OUTAGE_STARTS_AFTER = Duration.ofMillis(1500);

    public DemoSettings {
        Require.between("timeCompression", timeCompression, 1, 100);
        Require.between("steady", steady, Duration.ofSeconds(1), Duration.ofMinutes(5));
        Require.between("slowPayments", slowPayments, Duration.ofSeconds(1), Duration.ofMinutes(5));
        Require.between("recovery", recovery, Duration.ofSeconds(1), Duration.ofMinutes(5));
        Require.between("burst", burst, Duration.ofSeconds(1), Duration.ofMinutes(5));
        Require.between("flapping", flapping, Duration.ofSeconds(1), Duration.ofMinutes(5));
        Require.between("catalogPerSecond", catalogPerSecond, 0.1, 500.0);
        Require.between("checkoutPerSecond", checkoutPerSecond, 0.1, 500.0);
        Require.between("recommendationsPerSecond", recommendationsPerSecond, 0.1, 500.0);
        Require.between("maxInFlight", maxInFlight, 1, 10_000);
        Require.between("poolSize", poolSize, 1, 50);
        Require.between("naiveThreads", naiveThreads, 1, 500);
        // Fields are not assigned yet in a compact constructor: compute from the parameters.
        Duration outageAndRecovery = SEED_OUTAGE.dividedBy(timeCompression).plus(OUTAGE_STARTS_AFTER)
                .plus(Duration.ofSeconds(1));
        if (flapping.compareTo(outageAndRecovery) < 0) {
            throw new IllegalArgumentException("flapping: " + flapping.toMillis() + " ms is out of range; allowed >= "
                    + outageAndRecovery.toMillis() + " ms (the outage and one second of recovery must fit)");
        }
    }

    /** The default run: about two minutes of phases. */
    public static DemoSettings standard() {
        return new DemoSettings(10, Duration.ofSeconds(15), Duration.ofSeconds(25), Duration.ofSeconds(15),
                Duration.ofSeconds(15), Duration.ofSeconds(20), 30, 10, 10, 120, 4, 8);
    }

    /**
     * {@code --quick}: the same script and ratios with shorter phases; under a minute with PostgreSQL
     * start-up. Steady and slow-payments stay long enough for a few hundred catalog samples each, so
     * their p99s are not decided by one scheduling hiccup of a shared machine.
     */
    public static DemoSettings quick() {
        return new DemoSettings(10, Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofSeconds(4),
                Duration.ofSeconds(4), Duration.ofSeconds(7), 30, 10, 10, 120, 4, 8);
    }

    /** Traffic before the first phase, not measured: warms the JIT, the pools and the HTTP clients. */
    Duration warmUp() {
        return Duration.ofSeconds(3);
    }

    /** A seed duration in demo time. */
    Duration compress(Duration seed) {
        return seed.dividedBy(timeCompression);
    }

    Duration paymentsNormal() {
        return compress(SEED_PAYMENTS_NORMAL);
    }

    Duration paymentsSlow() {
        return compress(SEED_PAYMENTS_SLOW);
    }

    Duration inventoryLatency() {
        return compress(SEED_INVENTORY);
    }

    Duration recommendationsLatency() {
        return compress(SEED_RECOMMENDATIONS);
    }

    /** One checkout request's whole budget (Strata's deadline). */
    Duration checkoutBudget() {
        return compress(SEED_CHECKOUT_BUDGET);
    }

    /** Of each checkout's budget, the part kept back for writing the order row (1 s seed time). */
    Duration orderWriteReserve() {
        return compress(Duration.ofSeconds(1));
    }

    Duration paymentAttemptTimeout() {
        return compress(SEED_PAYMENT_ATTEMPT_TIMEOUT);
    }

    /** PostgreSQL's {@code idle_session_timeout}. */
    Duration dbIdleTimeout() {
        return compress(SEED_DB_IDLE_TIMEOUT);
    }

    /** Strata's pool keepalive interval: shorter than the database's idle limit. */
    Duration keepalive() {
        return compress(SEED_KEEPALIVE);
    }

    /** Strata's pool idle timeout: shorter than the database's. */
    Duration poolIdleTimeout() {
        return compress(SEED_POOL_IDLE);
    }

    /** No traffic for this long before the burst: longer than the database's idle limit. */
    Duration quiet() {
        return compress(SEED_QUIET);
    }

    /** How long recommendations fail in the flapping phase. */
    Duration outage() {
        return compress(SEED_OUTAGE);
    }

    /** When, into the flapping phase, the outage starts. */
    Duration outageStartsAfter() {
        return OUTAGE_STARTS_AFTER;
    }

    /** The naive retries' first backoff; doubled each retry, never jittered. */
    Duration naiveBackoff() {
        return compress(SEED_NAIVE_BACKOFF);
    }

    /**
     * The bound on every wait of the naive variant. Naive code has no timeouts; without this cap a
     * request could wait forever and the demo would never end. It plays the load balancer that
     * gives up on a request (30 s in seed time).
     */
    Duration safetyCap() {
        return compress(SEED_SAFETY_CAP);
    }

    /** How long Strata's breakers stay open before probing. */
    Duration breakerOpen() {
        return compress(SEED_BREAKER_OPEN);
    }
}
