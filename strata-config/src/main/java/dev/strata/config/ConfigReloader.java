package dev.strata.config;

import dev.strata.application.InvalidConfigurationException;
import dev.strata.application.ReloadReport;
import dev.strata.application.Secret;
import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.fault.Layer;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Live reload from a changed configuration: loads it the way the running one was loaded (the same
 * located errors), compares it with the running one and hands it to {@link Strata#reload}. A file
 * with any problem is refused whole: nothing is applied, and each problem names its
 * {@code file:line:column}, key and value as at start.
 *
 * <p>What may change while the runtime runs is what {@link Strata#reload} applies: the policies'
 * numbers (deadline, timeout, retry, breaker thresholds and waits, bulkhead limit, retry-budget
 * share). Beyond what the runtime compares, this class refuses, as needing a restart, a change to
 * a dependency's {@code rate_limit.*}, {@code adaptive_limit.*} and {@code throttle.*} keys (their
 * limiters are built by binders once) and to every root key other than {@code strict},
 * {@code start_timeout}, {@code shutdown.*} and {@code connection_budget.*}, which the runtime
 * compares itself (the HTTP edge, Redis, an application's own sections).
 *
 * <pre>{@code
 * LoadedConfig loaded = StrataConfig.load(file);
 * Strata strata = loaded.build().start();
 * ConfigReloader reloader = new ConfigReloader(strata, loaded);
 * ...
 * ConfigReloader.Outcome outcome = reloader.reload(() -> StrataConfig.load(file));   // on a change
 * System.out.println(outcome.summary());
 * }</pre>
 *
 * <p>Thread-safe; reloads are serialised. After an applied reload the new configuration is the
 * running one the next reload is compared with.
 */
public final class ConfigReloader {

    /** Root keys the runtime compares itself; any other root key needs a restart. */
    private static final List<String> RUNTIME_ROOT = List.of("strict", "start_timeout", "shutdown.", "connection_budget.");
    /** Dependency keys of parts the runtime cannot compare (built by binders); they need a restart. */
    private static final List<String> BUILT_BY_BINDERS = List.of("rate_limit.", "adaptive_limit.", "throttle.");

    private final Strata runtime;
    private final Function<LoadedConfig, StrataBuilder> builder;
    private final ReentrantLock lock = new ReentrantLock();
    private LoadedConfig running;

    /** Reloads {@code runtime}, built from {@code running} with {@link LoadedConfig#builder()}. */
    public ConfigReloader(Strata runtime, LoadedConfig running) {
        this(runtime, running, LoadedConfig::builder);
    }

    /**
     * Reloads {@code runtime}, built from {@code running}; {@code builder} makes a runtime's builder
     * from a configuration as the application did at start (adding its code-only parts).
     */
    public ConfigReloader(Strata runtime, LoadedConfig running, Function<LoadedConfig, StrataBuilder> builder) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.running = Objects.requireNonNull(running, "running");
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /** The configuration in force: the one given, or the last one applied. */
    public LoadedConfig running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /**
     * What one reload did.
     *
     * @param report the runtime's report; null when the configuration could not be loaded
     * @param problems every problem of a configuration that could not be loaded, located; empty otherwise
     * @param lines one line per change, refusal or problem, each located in the file where it can be
     */
    public record Outcome(ReloadReport report, List<ConfigProblem> problems, List<String> lines) {

        public Outcome {
            problems = List.copyOf(problems);
            lines = List.copyOf(lines);
        }

        /** Whether the new configuration is in force now. */
        public boolean applied() {
            return report != null && report.applied();
        }

        /**
         * One line: {@code reloaded 1 change: payments.timeout 2.00s -> 500ms}, {@code reloaded:
         * nothing changed}, {@code reload refused, nothing applied: ...}, or {@code reload refused,
         * invalid configuration (nothing applied): shop.yaml:12:7: ...}.
         */
        public String summary() {
            if (report == null) {
                return "reload refused, invalid configuration (nothing applied): "
                        + problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("; "));
            }
            if (!report.applied()) {
                return "reload refused, nothing applied: " + String.join("; ", lines);
            }
            return report.summary();
        }
    }

    /** {@link #reload(Supplier)} of {@code StrataConfig.load(file)}: the file and {@code System.getenv()}. */
    public Outcome reload(Path file) {
        return reload(() -> StrataConfig.load(file));
    }

    /**
     * Loads a configuration with {@code load} and reloads the runtime from it, all or nothing.
     * Never throws for a bad configuration: a {@link ConfigException} (or any other failure to
     * load, such as an unreadable file) becomes an outcome with its problems, and an event
     * {@code runtime.reload-refused} (WARNING) on the runtime's bus; otherwise the runtime
     * publishes its one event ({@link Strata#reload}).
     */
    public Outcome reload(Supplier<LoadedConfig> load) {
        lock.lock();
        try {
            LoadedConfig next;
            try {
                next = load.get();
            } catch (ConfigException invalid) {
                return invalid(invalid.locatedProblems());
            } catch (RuntimeException unreadable) {
                return invalid(List.of(new ConfigProblem(new ConfigLocation("(config)", 0, 0), "(file)",
                        Secret.maskUserInfo(String.valueOf(unreadable.getMessage())))));
            }
            List<ReloadReport.Refusal> refusals = new ArrayList<>();
            compareRoot(running.root(), next.root(), refusals);
            for (Map.Entry<String, ConfigValues> e : next.dependencies().entrySet()) {
                ConfigValues before = running.dependencies().get(e.getKey());
                if (before != null) {
                    compareBuiltByBinders(e.getKey(), before, e.getValue(), refusals);
                }
            }
            ReloadReport report;
            try {
                report = runtime.reload(builder.apply(next), refusals);
            } catch (ConfigException invalid) {
                return invalid(invalid.locatedProblems());
            } catch (InvalidConfigurationException invalid) {
                return invalid(invalid.problems().stream().map(p -> next.locate(p, null)).map(next::mask).toList());
            }
            if (report.applied()) {
                running = next;
            }
            return new Outcome(report, List.of(), lines(report, next));
        } finally {
            lock.unlock();
        }
    }

    private Outcome invalid(List<ConfigProblem> problems) {
        Outcome outcome = new Outcome(null, problems, problems.stream().map(ConfigProblem::toString).toList());
        EventBus events = runtime.events();
        if (events.isActive(Level.WARNING)) {
            events.publish(new BasicEvent(runtime.clock().currentTimeMillis(), "strata", "runtime.reload-refused",
                    Layer.APPLICATION, Level.WARNING, null, outcome.summary()));
        }
        return outcome;
    }

    private static void compareRoot(ConfigValues before, ConfigValues after, List<ReloadReport.Refusal> refusals) {
        for (String key : keys(before, after)) {
            if (RUNTIME_ROOT.stream().noneMatch(p -> p.endsWith(".") ? key.startsWith(p) : key.equals(p))) {
                differs(before, after, key).ifPresent(values -> refusals.add(new ReloadReport.Refusal("strata", key,
                        values[0], values[1], "read once at start")));
            }
        }
    }

    private static void compareBuiltByBinders(String dependency, ConfigValues before, ConfigValues after,
                                              List<ReloadReport.Refusal> refusals) {
        for (String key : keys(before, after)) {
            if (BUILT_BY_BINDERS.stream().anyMatch(key::startsWith)) {
                differs(before, after, key).ifPresent(values -> refusals.add(new ReloadReport.Refusal(dependency, key,
                        values[0], values[1], "its limiter is built once, at start")));
            }
        }
    }

    private static Set<String> keys(ConfigValues before, ConfigValues after) {
        Set<String> keys = new LinkedHashSet<>(before.keys());
        keys.addAll(after.keys());
        return keys;
    }

    /** The shown values {@code [before, after]} when the key's value differs. */
    private static Optional<String[]> differs(ConfigValues before, ConfigValues after, String key) {
        ConfigValues.Resolved b = before.raw().get(key);
        ConfigValues.Resolved a = after.raw().get(key);
        Object bv = b == null ? null : b.value();
        Object av = a == null ? null : a.value();
        if (Objects.equals(bv, av)) {
            return Optional.empty();
        }
        return Optional.of(new String[] {shown(b), shown(a)});
    }

    private static String shown(ConfigValues.Resolved r) {
        return r == null ? "unset" : Secret.maskUserInfo(r.raw());
    }

    /** One line per change or refusal, located at the new value where it was set. */
    private static List<String> lines(ReloadReport report, LoadedConfig next) {
        List<String> lines = new ArrayList<>();
        if (!report.applied()) {
            for (ReloadReport.Refusal r : report.refusals()) {
                lines.add(locate(next, r.dependency(), r.key()) + r.message());
            }
            return lines;
        }
        for (ReloadReport.Change c : report.changes()) {
            lines.add(locate(next, c.dependency(), c.key()) + c);
        }
        return lines;
    }

    private static String locate(LoadedConfig config, String dependency, String key) {
        ConfigValues values = "strata".equals(dependency) ? config.root() : config.dependencies().get(dependency);
        if (values == null) {
            return "";
        }
        Optional<ConfigLocation> exact = values.location(key);
        if (exact.isEmpty() && key.contains(".")) {
            // breaker.failure_rate may be set under a section written as a flow mapping: find the section
            String section = key.substring(0, key.lastIndexOf('.'));
            exact = values.keys().stream().filter(k -> k.startsWith(section + ".")).findFirst().flatMap(values::location);
        }
        return exact.map(l -> l + ": ").orElse("");
    }
}
