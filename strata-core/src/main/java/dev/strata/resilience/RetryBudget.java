package dev.strata.resilience;

import dev.strata.call.Clock;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Caps the extra load retries and hedges may add to one dependency, shared by every caller of
 * that dependency. Each logical call deposits {@code retryPercent} of a token; each retry or hedge
 * withdraws one whole token. On top of the deposits there is a floor of
 * {@code minRetriesPerSecond}, so a service with little traffic can still retry.
 *
 * <p>Guarantee: within any {@code ttl} window, withdrawals never exceed
 * {@code retryPercent x calls + minRetriesPerSecond x ttl seconds}; deposits and withdrawals older
 * than {@code ttl} no longer count. This is the token idea of gRPC retry throttling and Finagle's
 * retry budget: when a dependency fails hard, retries stop amplifying the load once the budget is
 * spent instead of multiplying it by the attempt count.
 *
 * <p>Thread-safe and lock-free: the window is one packed atomic word (second, balance) per
 * one-second bucket. Nothing is allocated on {@link #onCall()} or {@link #tryWithdraw()}.
 */
public final class RetryBudget {

    /** Balance units per whole token; deposits are fractions of it (0.1 % resolution). */
    private static final long UNITS_PER_TOKEN = 1000;
    private static final long SECOND = 1_000_000_000L;

    private final int ttlSeconds;
    /** The rates in force: one immutable object, swapped whole by {@link #reconfigure}. */
    private volatile Rates rates;
    private final Clock clock;
    private final long origin;
    private final String name;
    private final EventBus events;
    /** Per bucket: high 32 bits = second the bucket belongs to, low 32 bits = signed balance in units. */
    private final AtomicLongArray buckets;
    private final AtomicBoolean exhausted = new AtomicBoolean();

    private RetryBudget(Builder b) {
        this.ttlSeconds = (int) b.ttl.toSeconds();
        this.rates = new Rates(b.retryPercent, b.minRetriesPerSecond, ttlSeconds);
        this.clock = b.clock;
        this.origin = clock.nanoTime();
        this.name = b.name;
        this.events = b.events;
        this.buckets = new AtomicLongArray(ttlSeconds);
    }

    /** A builder with the defaults: 20 % retries, a floor of 10 retries per second, a 10 s window. */
    public static Builder builder() {
        return new Builder();
    }

    /** Records one logical call: it earns {@code retryPercent} of a retry. Call once per logical call. */
    public void onCall() {
        long deposit = rates.depositUnits;
        if (deposit > 0) {
            add(deposit);
        }
    }

    /** What a budget deposits per call and always allows, precomputed in balance units. */
    private static final class Rates {
        final double retryPercent;
        final int minRetriesPerSecond;
        final long depositUnits;
        final long reserveUnits;

        Rates(double retryPercent, int minRetriesPerSecond, int ttlSeconds) {
            this.retryPercent = retryPercent;
            this.minRetriesPerSecond = minRetriesPerSecond;
            this.depositUnits = Math.round(retryPercent * UNITS_PER_TOKEN);
            this.reserveUnits = (long) minRetriesPerSecond * ttlSeconds * UNITS_PER_TOKEN;
        }
    }

    /** Share of calls that may be retried, 0..1. */
    public double retryPercent() {
        return rates.retryPercent;
    }

    /** Retries per second allowed whatever the traffic. */
    public int minRetriesPerSecond() {
        return rates.minRetriesPerSecond;
    }

    /** How long a deposit counts (fixed for the budget's life). */
    public Duration ttl() {
        return Duration.ofSeconds(ttlSeconds);
    }

    /**
     * Changes the share of calls that may be retried and the floor while calls run. Deposits and
     * withdrawals already made keep counting until they age out of the window; from now on each
     * call deposits the new share and the new floor applies. The window ({@code ttl}) is fixed.
     *
     * @throws IllegalArgumentException when {@code retryPercent} is not 0..1 or
     *     {@code minRetriesPerSecond} not 0..10000; nothing changes then
     */
    public void reconfigure(double retryPercent, int minRetriesPerSecond) {
        Require.between("retryPercent", retryPercent, 0.0, 1.0);
        Require.between("minRetriesPerSecond", minRetriesPerSecond, 0, 10_000);
        this.rates = new Rates(retryPercent, minRetriesPerSecond, ttlSeconds);
    }

    /**
     * Takes one token for a retry or a hedge. Returns false, taking nothing, when the budget is
     * spent; the caller must then not make the extra attempt.
     */
    public boolean tryWithdraw() {
        // Withdraw first, then check: two racing callers can never both spend the last token.
        long second = add(-UNITS_PER_TOKEN);
        Rates r = rates;
        if (balanceUnits(second) + r.reserveUnits >= 0) {
            exhausted.set(false);
            return true;
        }
        add(UNITS_PER_TOKEN);
        if (!exhausted.getAndSet(true) && events.isActive(Level.WARNING)) {
            // Edge-triggered: one event when the budget runs dry, not one per refused retry.
            events.publish(new BasicEvent(clock.currentTimeMillis(), name, "retry-budget.exhausted",
                    Layer.RESILIENCE, Level.WARNING, Fault.of(FaultKind.RETRY_BUDGET_EXHAUSTED),
                    String.format(Locale.ROOT, "retry budget exhausted: retries limited to %.0f%% of calls + %d/s over %s",
                            r.retryPercent * 100, r.minRetriesPerSecond, Durations.format(Duration.ofSeconds(ttlSeconds)))));
        }
        return false;
    }

    /** The name it publishes under: the dependency it budgets, when the runtime made it. */
    public String name() {
        return name;
    }

    /** Retries (whole or fractional tokens) that could be withdrawn now. */
    public double available() {
        long second = currentSecond();
        return Math.max(0L, balanceUnits(second) + rates.reserveUnits) / (double) UNITS_PER_TOKEN;
    }

    private long currentSecond() {
        return (clock.nanoTime() - origin) / SECOND;
    }

    /** Adds units to the bucket of the current second (resetting it if it held an older second); returns that second. */
    private long add(long units) {
        long second = currentSecond();
        int i = (int) (second % ttlSeconds);
        int tag = (int) second;
        for (;;) {
            long word = buckets.get(i);
            int wordTag = (int) (word >>> 32);
            long current = wordTag == tag ? (int) word : 0L;
            long updated = Math.clamp(current + units, Integer.MIN_VALUE, Integer.MAX_VALUE);
            long next = ((long) tag << 32) | (updated & 0xFFFF_FFFFL);
            if (buckets.compareAndSet(i, word, next)) {
                return second;
            }
        }
    }

    /** Sum of the balances of the buckets that belong to the last {@code ttl} seconds. */
    private long balanceUnits(long second) {
        long sum = 0;
        for (int i = 0; i < ttlSeconds; i++) {
            long word = buckets.get(i);
            long age = second - (word >>> 32);
            if (age >= 0 && age < ttlSeconds) {
                sum += (int) word;
            }
        }
        return sum;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RetryBudget[%s, %.0f%% + %d/s over %ds, %.1f available]",
                name, rates.retryPercent * 100, rates.minRetriesPerSecond, ttlSeconds, available());
    }

    /**
     * Configuration of a {@link RetryBudget}, validated by {@link #build()}.
     */
    public static final class Builder {
        private double retryPercent = 0.2;
        private int minRetriesPerSecond = 10;
        private Duration ttl = Duration.ofSeconds(10);
        private Clock clock = Clock.system();
        private String name = "retry-budget";
        private EventBus events = EventBus.root();

        private Builder() {
        }

        /** Share of calls that may be retried, 0..1 (0.2 = retries may add 20 % load); default 0.2. */
        public Builder retryPercent(double retryPercent) {
            this.retryPercent = retryPercent;
            return this;
        }

        /** Retries per second allowed whatever the traffic, 0..10000; default 10. */
        public Builder minRetriesPerSecond(int minRetriesPerSecond) {
            this.minRetriesPerSecond = minRetriesPerSecond;
            return this;
        }

        /** How long a deposit counts, whole seconds 1..60 s; default 10 s. */
        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        /** The time source; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** The dependency name used in the exhaustion event; default {@code retry-budget}. */
        public Builder name(String name) {
            this.name = Require.notBlank("name", name);
            return this;
        }

        /** Where the exhaustion event goes; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /** Validates the configuration and builds the budget. */
        public RetryBudget build() {
            Require.between("retryPercent", retryPercent, 0.0, 1.0);
            Require.between("minRetriesPerSecond", minRetriesPerSecond, 0, 10_000);
            Require.between("ttl", ttl, Duration.ofSeconds(1), Duration.ofSeconds(60));
            if (ttl.toNanos() % SECOND != 0) {
                throw new IllegalArgumentException("ttl: " + Durations.format(ttl)
                        + " is not allowed; must be whole seconds in 1s..60s");
            }
            return new RetryBudget(this);
        }
    }
}
