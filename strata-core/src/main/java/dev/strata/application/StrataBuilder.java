package dev.strata.application;

import dev.strata.call.Clock;
import dev.strata.internal.Require;
import dev.strata.observe.EventBus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
/**
 * Describes a runtime: shared defaults, dependencies, budgets, shutdown. {@link #build()}
 * validates all of it and reports every problem at once.
 */
public final class StrataBuilder {
    // read by StrataValidator
    final List<Consumer<DependencySettings>> defaults = new ArrayList<>();
    final Map<String, List<Consumer<DependencySettings>>> dependencies = new LinkedHashMap<>();
    final List<Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>>> everywhere = new ArrayList<>();
    final List<Map.Entry<String, BooleanSupplier>> livenessChecks = new ArrayList<>();
    EventBus events;
    Clock clock = Clock.system();
    boolean strict;
    Duration shutdownPause = Duration.ofSeconds(5);
    Duration shutdownBudget = Duration.ofSeconds(30);
    Duration startTimeout = Duration.ofSeconds(10);
    ConnectionBudget budget = ConnectionBudget.DEFAULT;

    StrataBuilder() {
    }

    /** Settings every dependency starts from; several calls apply in order. */
    public StrataBuilder defaults(Consumer<DependencySettings> settings) {
        defaults.add(Objects.requireNonNull(settings, "settings"));
        return this;
    }

    /** Declares a dependency (or adds settings to one already declared). */
    public StrataBuilder dependency(String name, Consumer<DependencySettings> settings) {
        Require.notBlank("dependency name", name);
        dependencies.computeIfAbsent(name, n -> new ArrayList<>()).add(Objects.requireNonNull(settings, "settings"));
        return this;
    }

    /**
     * Attaches {@code factory}'s product to every dependency for which it returns non-null
     * (e.g. an HTTP client to each dependency with an HTTP base URL).
     */
    public <T> StrataBuilder attachEverywhere(AttachmentKey<T> key, AttachmentKey.Factory<? extends T> factory) {
        everywhere.add(Map.entry(Objects.requireNonNull(key, "key"), Objects.requireNonNull(factory, "factory")));
        return this;
    }

    /** A process-level check liveness includes (never a dependency's state: rule 6). */
    public StrataBuilder livenessCheck(String name, BooleanSupplier check) {
        livenessChecks.add(Map.entry(Require.notBlank("name", name), Objects.requireNonNull(check, "check")));
        return this;
    }

    /** The runtime's bus; default a new bus chained to the root bus, which logs. */
    public StrataBuilder events(EventBus events) {
        this.events = Objects.requireNonNull(events, "events");
        return this;
    }

    /** The clock for every component; default the system clock. */
    public StrataBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    boolean strictMode() {
        return strict;
    }

    Duration startTimeoutValue() {
        return startTimeout;
    }

    /** Refuse a second pool to one target instead of reporting it; default false. */
    public StrataBuilder strict(boolean strict) {
        this.strict = strict;
        return this;
    }

    /**
     * Graceful shutdown: {@code pause} (0..5 min, default 5 s) between readiness going down and
     * refusing new work; {@code budget} (1 ms..1 h, default 30 s) for the whole shutdown, after
     * which the rest is forced.
     */
    public StrataBuilder shutdown(Duration pause, Duration budget) {
        this.shutdownPause = Require.between("shutdown.pause", pause, Duration.ZERO, Duration.ofMinutes(5));
        this.shutdownBudget = Require.between("shutdown.budget", budget, Duration.ofMillis(1), Duration.ofHours(1));
        return this;
    }

    /** How long {@link Strata#start()} waits for required pools to warm up (0..10 min, default 10 s). */
    public StrataBuilder startTimeout(Duration timeout) {
        this.startTimeout = Require.between("start_timeout", timeout, Duration.ZERO, Duration.ofMinutes(10));
        return this;
    }

    public StrataBuilder connectionBudget(ConnectionBudget budget) {
        this.budget = Objects.requireNonNull(budget, "budget");
        return this;
    }

    /**
     * Validates every dependency and the connection budget, and builds the runtime's pipelines
     * and policies; pools and attachments are created by {@link Strata#start()} or on first use.
     *
     * @throws InvalidConfigurationException listing every problem found, each with its key
     */
    public Strata build() {
        Map<String, DependencySettings> settings = new LinkedHashMap<>();
        List<InvalidConfigurationException.Problem> problems = StrataValidator.check(this, settings);
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        return Strata.create(this, settings);
    }

    /**
     * Every problem {@link #build()} would report, without building anything; empty when the
     * configuration is valid. Configuration loaders use it to report these problems together
     * with their own.
     */
    public List<InvalidConfigurationException.Problem> validate() {
        return StrataValidator.check(this, new LinkedHashMap<>());
    }
}
