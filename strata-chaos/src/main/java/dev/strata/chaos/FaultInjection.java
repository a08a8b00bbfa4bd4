package dev.strata.chaos;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Deadline;
import dev.strata.internal.Durations;
import dev.strata.call.Interceptor;
import dev.strata.chaos.Draws.Draw;
import dev.strata.internal.Require;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * In-process chaos: an {@link Interceptor} that sits innermost in a pipeline, around the real
 * call, and on purpose adds latency, throws a {@link StrataException} of a chosen
 * {@link FaultKind}, or replaces the result, each at a rate. Rules are per dependency, with a
 * default for all.
 *
 * <p>Determinism: every dependency draws from its own stream, derived from the seed and the
 * dependency's name, and the decisions for a dependency's n-th call are a function of (seed,
 * name, n) alone. So with a seed, the calls to {@code payments} see the same injections whatever
 * traffic goes to other dependencies and on whatever threads. Concurrent callers of one
 * dependency share its sequence: which caller gets which call number is up to the scheduler,
 * but the sequence itself, and so the number of injections in the first n calls, is fixed.
 *
 * <p>Off unless enabled, by the builder or by environment variables ({@link #fromEnvironment()}).
 * Every injection is published as an event, and so logged, as a drill:
 * {@code WARN [payments] CHAOS drill: injected NETWORK/connection-reset (rate 0.10)}.
 *
 * <pre>{@code
 * FaultInjection chaos = FaultInjection.builder().enabled(true).seed(42)
 *         .failures(0.10, FaultKind.CONNECTION_RESET)
 *         .dependency("payments", rule -> rule.latency(Duration.ofMillis(50), Duration.ofMillis(200)))
 *         .build();
 * }</pre>
 *
 * <p>Injected latency spends the call's {@link Deadline}: it never sleeps past it, and ends the
 * attempt with {@link FaultKind#DEADLINE_EXCEEDED} when the deadline runs out first.
 */
public final class FaultInjection implements Interceptor {

    private final boolean enabled;
    private final Rule defaults;
    private final Map<String, Rule> perDependency;
    private final Set<String> onlyDependencies;
    private final long seed;
    private final Clock clock;
    private final EventBus events;
    /** Per dependency name as the calls give it: its rule and its own stream of draws. */
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

    private FaultInjection(Builder builder) {
        this.enabled = builder.enabled;
        this.defaults = builder.defaults.buildOver(Rule.NOTHING);
        Map<String, Rule> rules = new HashMap<>();
        builder.perDependency.forEach((key, rule) -> rules.put(key, rule.buildOver(defaults)));
        this.perDependency = Map.copyOf(rules);
        this.onlyDependencies = Set.copyOf(builder.onlyDependencies);
        this.seed = builder.seed == null ? ThreadLocalRandom.current().nextLong() : builder.seed;
        this.clock = builder.clock;
        this.events = builder.events;
    }

    /** A new builder; everything off until configured. */
    public static Builder builder() {
        return new Builder();
    }

    /** Injection that never injects anything. */
    public static FaultInjection disabled() {
        return new Builder().build();
    }

    /** Configured from this process's environment variables; see {@link #fromEnvironment(Map)}. */
    public static FaultInjection fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Configured from environment-style variables, so a drill needs no code change:
     * <ul>
     *   <li>{@code STRATA_CHAOS_ENABLED} {@code true} to switch on (default off);</li>
     *   <li>{@code STRATA_CHAOS_FAILURE_RATE} 0..1, and {@code STRATA_CHAOS_FAULT} the fault kind
     *       ({@code connection-reset} or {@code CONNECTION_RESET}; default {@code injected});</li>
     *   <li>{@code STRATA_CHAOS_LATENCY_MS} {@code 200} or a range {@code 50-200}, applied with
     *       {@code STRATA_CHAOS_LATENCY_RATE} (default 1);</li>
     *   <li>{@code STRATA_CHAOS_SEED} for a repeatable drill;</li>
     *   <li>{@code STRATA_CHAOS_DEPENDENCIES} a comma list limiting the drill to those dependencies;</li>
     *   <li>per dependency, {@code STRATA_CHAOS_<DEPENDENCY>_FAILURE_RATE}, {@code _FAULT},
     *       {@code _LATENCY_MS}, {@code _LATENCY_RATE}, {@code _ENABLED}, where the name is upper-cased
     *       with other characters than letters and digits as {@code _} (e.g. {@code PAYMENTS}).</li>
     * </ul>
     *
     * @param environment the variables, e.g. {@code System.getenv()}; tests pass a map
     * @throws IllegalArgumentException naming the variable when a value is invalid
     */
    public static FaultInjection fromEnvironment(Map<String, String> environment) {
        return ChaosEnvironment.read(environment).build();
    }

    /** Whether this policy injects anything at all. */
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public <T> T intercept(CallContext context, Callable<T> attempt) throws Exception {
        if (!enabled) {
            return attempt.call();
        }
        String dependency = context == null ? "" : context.dependency();
        Lane lane = lanes.computeIfAbsent(dependency, this::laneFor);
        Rule rule = lane.rule();
        if (!rule.active()) {
            return attempt.call();
        }
        Draws draws = lane.nextCall();
        if (rule.latencyMaxNanos() > 0 && draws.roll(Draw.LATENCY_ROLL, rule.latencyRate())) {
            injectLatency(dependency, rule, draws);
        }
        if (draws.roll(Draw.FAILURE_ROLL, rule.failureRate())) {
            Fault fault = Fault.of(rule.faultKind(), "chaos drill");
            String message = "CHAOS drill: injected " + rule.faultKind().qualifiedName() + " (rate " + rate(rule.failureRate()) + ")";
            publish(dependency, "chaos.injected-fault", fault, message);
            throw new StrataException(fault, dependency, message, null);
        }
        if (rule.result() != null && draws.roll(Draw.RESULT_ROLL, rule.resultRate())) {
            publish(dependency, "chaos.replaced-result", null,
                    "CHAOS drill: replaced the result instead of calling (rate " + rate(rule.resultRate()) + ")");
            @SuppressWarnings("unchecked")
            T replacement = (T) rule.result().get();
            return replacement;
        }
        return attempt.call();
    }

    private void injectLatency(String dependency, Rule rule, Draws draws) throws InterruptedException {
        long span = rule.latencyMaxNanos() - rule.latencyMinNanos();
        long delay = rule.latencyMinNanos() + (span > 0 ? draws.below(Draw.LATENCY_VALUE, span + 1) : 0);
        Deadline deadline = Deadline.current();
        long allowed = deadline == null ? delay : Math.min(delay, deadline.remainingNanos());
        publish(dependency, "chaos.injected-latency", null,
                "CHAOS drill: injected latency " + Durations.format(delay) + " (rate " + rate(rule.latencyRate()) + ")");
        clock.sleep(allowed);
        if (allowed < delay) {
            throw new StrataException(FaultKind.DEADLINE_EXCEEDED, dependency,
                    "deadline ran out during " + Durations.format(delay) + " of injected latency (CHAOS drill)");
        }
    }

    private Lane laneFor(String dependency) {
        return new Lane(ruleFor(dependency), Draws.streamKey(seed, dependency));
    }

    private Rule ruleFor(String dependency) {
        String key = normalise(dependency);
        if (!onlyDependencies.isEmpty() && !onlyDependencies.contains(key)) {
            return Rule.INACTIVE;
        }
        return perDependency.getOrDefault(key, defaults);
    }

    /** One dependency's rule and call counter. Lock-free: a call only takes the next number. */
    private record Lane(Rule rule, long key, AtomicLong calls) {
        Lane(Rule rule, long key) {
            this(rule, key, new AtomicLong());
        }

        Draws nextCall() {
            return new Draws(key, calls.getAndIncrement());
        }
    }

    private void publish(String dependency, String type, Fault fault, String message) {
        if (events.isActive(Level.WARNING)) {
            events.publish(new BasicEvent(clock.currentTimeMillis(), dependency, type,
                    fault == null ? dev.strata.fault.Layer.RESILIENCE : fault.layer(), Level.WARNING, fault, message));
        }
    }

    private static String rate(double rate) {
        return String.format(Locale.ROOT, "%.2f", rate);
    }

    static String normalise(String dependency) {
        StringBuilder out = new StringBuilder(dependency.length());
        for (int i = 0; i < dependency.length(); i++) {
            char c = dependency.charAt(i);
            out.append(Character.isLetterOrDigit(c) && c < 128 ? Character.toUpperCase(c) : '_');
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return enabled ? "FaultInjection[" + defaults + (perDependency.isEmpty() ? "" : ", per dependency " + perDependency)
                + (onlyDependencies.isEmpty() ? "" : ", only " + onlyDependencies) + "]" : "FaultInjection[disabled]";
    }

    /** What to inject into the calls of one dependency, or of all, resolved at build time. */
    private record Rule(boolean active, double failureRate, FaultKind faultKind, long latencyMinNanos,
                        long latencyMaxNanos, double latencyRate, double resultRate, Supplier<?> result) {

        /** Active but injecting nothing: the base the default rule is built over. */
        static final Rule NOTHING = new Rule(true, 0.0, FaultKind.INJECTED, 0, 0, 1.0, 0.0, null);
        static final Rule INACTIVE = new Rule(false, 0.0, FaultKind.INJECTED, 0, 0, 0.0, 0.0, null);

        @Override
        public String toString() {
            return "failures " + rate(failureRate) + " " + faultKind.qualifiedName()
                    + (latencyMaxNanos > 0 ? ", latency " + Durations.format(latencyMinNanos) + ".." + Durations.format(latencyMaxNanos)
                    + " at " + rate(latencyRate) : "")
                    + (result != null ? ", replaced result at " + rate(resultRate) : "")
                    + (active ? "" : ", switched off");
        }
    }

    /** Configures one rule: the defaults, or one dependency's. */
    public static final class RuleBuilder {
        private Boolean active;
        private Double failureRate;
        private FaultKind faultKind;
        private long[] latency;
        private Double latencyRate;
        private double resultRate;
        private Supplier<?> result;

        private RuleBuilder() {
        }

        /**
         * Throws a {@link StrataException} of {@code kind} instead of calling, at {@code rate}
         * (0..1).
         */
        public RuleBuilder failures(double rate, FaultKind kind) {
            this.failureRate = Require.between("failureRate", rate, 0.0, 1.0);
            this.faultKind = Require.nonNull("faultKind", kind);
            return this;
        }

        /**
         * Throws at {@code rate} (0..1) the kind set by {@link #faultKind}, else the default
         * rule's, else {@link FaultKind#INJECTED}.
         */
        public RuleBuilder failures(double rate) {
            this.failureRate = Require.between("failureRate", rate, 0.0, 1.0);
            return this;
        }

        /** The kind of the injected failures. */
        public RuleBuilder faultKind(FaultKind kind) {
            this.faultKind = Require.nonNull("faultKind", kind);
            return this;
        }

        /** Adds exactly {@code delay} before every call. */
        public RuleBuilder latency(Duration delay) {
            return latency(delay, delay);
        }

        /** Adds a delay drawn uniformly from {@code min..max} (each up to 1 hour) before every call. */
        public RuleBuilder latency(Duration min, Duration max) {
            Require.between("latencyMin", min, Duration.ZERO, Duration.ofHours(1));
            Require.between("latencyMax", max, min, Duration.ofHours(1));
            this.latency = new long[] {min.toNanos(), max.toNanos()};
            return this;
        }

        /** The share of calls (0..1) that get the latency; default 1. */
        public RuleBuilder latencyRate(double rate) {
            this.latencyRate = Require.between("latencyRate", rate, 0.0, 1.0);
            return this;
        }

        /**
         * Returns {@code replacement.get()} instead of calling, at {@code rate} (0..1). The caller
         * guarantees the supplied value has the type the call returns.
         */
        public RuleBuilder replaceResult(double rate, Supplier<?> replacement) {
            this.resultRate = Require.between("resultRate", rate, 0.0, 1.0);
            this.result = Require.nonNull("replacement", replacement);
            return this;
        }

        /** Switches this rule off (or on) whatever the defaults say. */
        public RuleBuilder active(boolean on) {
            this.active = on;
            return this;
        }

        /** The rule: what this builder set, and {@code base}'s values for what it left unset. */
        Rule buildOver(Rule base) {
            return new Rule(active != null ? active : base.active(),
                    failureRate != null ? failureRate : base.failureRate(),
                    faultKind != null ? faultKind : base.faultKind(),
                    latency != null ? latency[0] : base.latencyMinNanos(),
                    latency != null ? latency[1] : base.latencyMaxNanos(),
                    latencyRate != null ? latencyRate : base.latencyRate(),
                    result != null ? resultRate : base.resultRate(),
                    result != null ? result : base.result());
        }
    }

    /** Builds a {@link FaultInjection}; the rule methods set the default rule for every dependency. */
    public static final class Builder {
        private boolean enabled;
        private final RuleBuilder defaults = new RuleBuilder();
        private final Map<String, RuleBuilder> perDependency = new HashMap<>();
        private final Set<String> onlyDependencies = new LinkedHashSet<>();
        private Long seed;
        private Clock clock = Clock.system();
        private EventBus events = EventBus.root();

        private Builder() {
        }

        /** Switches injection on; default off. */
        public Builder enabled(boolean on) {
            this.enabled = on;
            return this;
        }

        /**
         * Makes the drill repeatable: with the same seed, each dependency's n-th call gets the same
         * decisions, whatever the traffic to other dependencies. Without a seed, a random one.
         */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /** @see RuleBuilder#failures(double, FaultKind) */
        public Builder failures(double rate, FaultKind kind) {
            defaults.failures(rate, kind);
            return this;
        }

        /** @see RuleBuilder#failures(double) */
        public Builder failures(double rate) {
            defaults.failures(rate);
            return this;
        }

        /** @see RuleBuilder#latency(Duration) */
        public Builder latency(Duration delay) {
            defaults.latency(delay);
            return this;
        }

        /** @see RuleBuilder#latency(Duration, Duration) */
        public Builder latency(Duration min, Duration max) {
            defaults.latency(min, max);
            return this;
        }

        /** @see RuleBuilder#latencyRate(double) */
        public Builder latencyRate(double rate) {
            defaults.latencyRate(rate);
            return this;
        }

        /** @see RuleBuilder#replaceResult(double, Supplier) */
        public Builder replaceResult(double rate, Supplier<?> replacement) {
            defaults.replaceResult(rate, replacement);
            return this;
        }

        /** Overrides the default rule for one dependency; what it leaves unset comes from the defaults. */
        public Builder dependency(String dependency, Consumer<RuleBuilder> rule) {
            Require.notBlank("dependency", dependency);
            Objects.requireNonNull(rule, "rule");
            rule.accept(perDependency.computeIfAbsent(normalise(dependency), d -> new RuleBuilder()));
            return this;
        }

        /** Limits injection to these dependencies; by default every dependency is in the drill. */
        public Builder onlyDependencies(String... dependencies) {
            for (String dependency : dependencies) {
                onlyDependencies.add(normalise(Require.notBlank("dependency", dependency)));
            }
            return this;
        }

        /** The clock injected latency sleeps on; a {@code ManualClock} makes tests instant. */
        public Builder clock(Clock source) {
            this.clock = Require.nonNull("clock", source);
            return this;
        }

        /** Where injections are published; default the root bus, which logs them. */
        public Builder events(EventBus bus) {
            this.events = Require.nonNull("events", bus);
            return this;
        }

        public FaultInjection build() {
            return new FaultInjection(this);
        }

        // For ChaosEnvironment, which keys rules by the variable's spelling, not normalised.

        RuleBuilder defaultRule() {
            return defaults;
        }

        RuleBuilder ruleForKey(String key) {
            return perDependency.computeIfAbsent(key, d -> new RuleBuilder());
        }

        void onlyDependencyKey(String key) {
            onlyDependencies.add(key);
        }
    }
}
