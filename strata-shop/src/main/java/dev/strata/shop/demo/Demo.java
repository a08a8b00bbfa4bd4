package dev.strata.shop.demo;

import dev.strata.diagnosis.Diagnoser;
import dev.strata.diagnosis.Verdict;

import dev.strata.shop.ShopCalls;
import dev.strata.shop.ShopDatabase;
import dev.strata.shop.demo.LoadGenerator.Stream;
import dev.strata.observe.EventBus;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code strata demo}: starts PostgreSQL and the simulated downstreams in this process, runs the
 * naive and the Strata order service side by side under identical open-loop traffic, plays the
 * script of {@link Phase#script} and reports each phase: per variant and endpoint, per downstream,
 * Strata's event timeline and which layer broke.
 *
 * <p>Everything it starts is stopped before {@link #run} returns, whatever happens.
 */
public final class Demo {

    static final String CATALOG = "catalog";
    static final String CHECKOUT = "checkout";
    static final String RECOMMENDATIONS = "recommendations";
    static final List<String> ENDPOINTS = List.of(CATALOG, CHECKOUT, RECOMMENDATIONS);
    static final List<String> SERVICES = List.of(ShopCalls.PAYMENTS, ShopCalls.INVENTORY, ShopCalls.RECOMMENDATIONS);

    private final DemoSettings settings;
    private final PrintStream out;
    private final boolean live;
    private final long startNanos = System.nanoTime();
    private final ArrivalMeter meter = new ArrivalMeter(startNanos);
    private final EventTimeline timeline = new EventTimeline(startNanos);
    /** The bus every Strata component of the demo publishes to; set when the run starts. */
    private EventBus events;
    private final Report report;

    private Demo(DemoSettings settings, PrintStream out, boolean live) {
        this.settings = settings;
        this.out = out;
        this.live = live;
        this.report = new Report(settings, out);
    }

    /** The names of the phases, in script order. */
    public static List<String> phaseNames() {
        return List.of("steady", "slow-payments", "recovery", "quiet-then-burst", "flapping-dependency");
    }

    /**
     * Runs the demo and prints its report to {@code out}.
     *
     * @param settings the numbers
     * @param only names of the phases to run; empty runs them all
     * @param live whether {@code out} is a terminal, so progress lines can be redrawn in place
     * @return the results, as written by {@code --json}
     * @throws IllegalArgumentException when a phase name is unknown
     */
    public static DemoResult run(DemoSettings settings, Set<String> only, PrintStream out, boolean live)
            throws InterruptedException {
        return run(settings, only, out, live, -1);
    }

    /**
     * Like {@link #run(DemoSettings, Set, PrintStream, boolean)}; with {@code dashboardPort} 0 or
     * more, also serves the dashboard of the Strata variant on 127.0.0.1 (0: any free port), prints
     * its URL once the services are up, and serves it until the phases end.
     */
    public static DemoResult run(DemoSettings settings, Set<String> only, PrintStream out, boolean live, int dashboardPort)
            throws InterruptedException {
        if (dashboardPort < -1 || dashboardPort > 65_535) {
            throw new IllegalArgumentException("dashboardPort: " + dashboardPort + " is not allowed; allowed 0..65535, or -1 for none");
        }
        for (String name : only) {
            if (!phaseNames().contains(name)) {
                throw new IllegalArgumentException("phase: '" + name + "' is unknown; allowed " + phaseNames());
            }
        }
        Demo demo = new Demo(settings, out, live);
        demo.dashboardPort = dashboardPort;
        return demo.run(only);
    }

    private int dashboardPort = -1;
    /** The current phase's diagnoser, whose verdicts head the dashboard. */
    private volatile Diagnoser currentDiagnoser;

    /** Serves the Strata variant's dashboard, or returns a no-op when none was asked for. */
    private AutoCloseable dashboard(Variants variants) throws java.io.IOException {
        if (dashboardPort < 0) {
            return () -> { };
        }
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        dev.strata.micrometer.StrataMetrics metrics = new dev.strata.micrometer.StrataMetrics(registry);
        for (OrderService variant : variants.all()) {
            if (variant instanceof StrataOrderService strata) {
                strata.bind(metrics);
            }
        }
        dev.strata.dashboard.DashboardFeed feed = dev.strata.dashboard.DashboardFeed.start(registry,
                () -> java.util.Map.of("config", "strata demo, time compressed " + settings.timeCompression() + "x"),
                () -> dev.strata.shop.ShopObservability.verdicts(currentDiagnoser));
        dev.strata.dashboard.Dashboard.Server server = dev.strata.dashboard.Dashboard.serve(feed, dashboardPort);
        out.println("dashboard: " + server.url() + " (served until the phases end)");
        return () -> {
            server.close();
            feed.close();
            metrics.close();
        };
    }

    @SuppressWarnings("try") // the subscription is a resource only so that it is always removed
    private DemoResult run(Set<String> only) throws InterruptedException {
        report.header();
        // Strata's events go to the timeline and the report, not to the log: the demo prints them itself.
        EventBus events = EventBus.detached();
        this.events = events;
        List<PhaseResult> results = new ArrayList<>();
        out.println("starting PostgreSQL and the downstream services on 127.0.0.1 ...");
        long setupStart = System.nanoTime();
        try (ShopDatabase database = ShopDatabase.start(settings.dbIdleTimeout());
             Stage stage = new Stage(settings, meter, events);
             Variants variants = Variants.start(settings, database, stage.ports(), events);
             AutoCloseable subscription = events.subscribe(timeline);
             AutoCloseable dashboard = dashboard(variants)) {
            out.printf("ready in %.1f s%n%n", (System.nanoTime() - setupStart) / 1e9);
            List<Phase> script = Phase.script(settings, stage);
            // JIT compilation, class loading and the first connections would otherwise land in the
            // steady phase's p99, the baseline the other phases are compared with.
            out.printf("warming up for %s (not measured) ...%n%n", Report.ms(settings.warmUp().toNanos()));
            runPhase(0, script.size(), new Phase("warm-up", "", "", "", Duration.ZERO, settings.warmUp(), List.of()),
                    variants.all(), false);
            variants.all().forEach(OrderService::warmedUp);
            for (int i = 0; i < script.size(); i++) {
                Phase phase = script.get(i);
                if (!only.isEmpty() && !only.contains(phase.name())) {
                    continue;
                }
                PhaseResult result = runPhase(i + 1, script.size(), phase, variants.all(), true);
                results.add(result);
                report.phase(result);
            }
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the demo failed: " + e.getMessage(), e);
        }
        DemoResult result = new DemoResult(settings, results, System.nanoTime() - startNanos);
        report.summary(result);
        return result;
    }

    private PhaseResult runPhase(int index, int of, Phase phase, List<OrderService> variants, boolean shown)
            throws InterruptedException {
        // One diagnoser per phase, so its verdict is about this phase's events only.
        Diagnoser diagnoser = null;
        for (OrderService variant : variants) {
            if (shown && variant instanceof StrataOrderService strata) {
                Duration whole = phase.quietBefore().plus(phase.duration()).plusSeconds(5);
                diagnoser = Diagnoser.builder(strata.diagnosisSource(events))
                        .window(whole.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : whole).start();
            }
        }
        if (diagnoser != null) {
            currentDiagnoser = diagnoser;
        }
        try {
            return runPhase(index, of, phase, variants, shown, diagnoser);
        } finally {
            if (diagnoser != null) {
                diagnoser.close();
            }
        }
    }

    private PhaseResult runPhase(int index, int of, Phase phase, List<OrderService> variants, boolean shown,
                                 Diagnoser diagnoser) throws InterruptedException {
        timeline.phase(phase.name());
        if (shown) {
            report.phaseHeader(index, of, phase);
        }
        if (!phase.quietBefore().isZero()) {
            out.printf("  quiet: no traffic for %s ...%n", Report.ms(phase.quietBefore().toNanos()));
            TimeUnit.NANOSECONDS.sleep(phase.quietBefore().toNanos());
        }
        Map<String, Map<String, EndpointStats>> stats = new LinkedHashMap<>();
        Map<String, LoadGenerator> generators = new LinkedHashMap<>();
        Map<String, List<Stream>> streams = new LinkedHashMap<>();
        for (OrderService variant : variants) {
            Map<String, EndpointStats> byEndpoint = new LinkedHashMap<>();
            ENDPOINTS.forEach(e -> byEndpoint.put(e, new EndpointStats()));
            stats.put(variant.name(), byEndpoint);
            generators.put(variant.name(), new LoadGenerator(variant.name(), settings.maxInFlight(), variant.classifier()));
            streams.put(variant.name(), List.of(
                    new Stream(CATALOG, settings.catalogPerSecond(), variant::catalog, byEndpoint.get(CATALOG)),
                    new Stream(CHECKOUT, settings.checkoutPerSecond(), variant::checkout, byEndpoint.get(CHECKOUT)),
                    new Stream(RECOMMENDATIONS, settings.recommendationsPerSecond(), variant::recommendations,
                            byEndpoint.get(RECOMMENDATIONS))));
        }
        List<Phase.Action> actions = phase.actions().stream().sorted(Comparator.comparing(Phase.Action::at)).toList();
        for (Phase.Action action : actions) {
            if (action.at().isZero()) {
                action.change().run();
                out.printf("  +0.0s  %s%n", action.description());
            }
        }
        // Collect garbage here, where nothing is measured, so a phase starts with an empty young
        // generation: on a starved shared machine one collection pause can last hundreds of
        // milliseconds and would otherwise land in one phase's p99 and not in another's.
        System.gc();
        double machineLoad = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Map<String, Map<String, Long>> countersBefore = new LinkedHashMap<>();
        variants.forEach(v -> countersBefore.put(v.name(), v.counters()));
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20); // both variants start on the same tick
        long duration = phase.duration().toNanos();
        List<Thread> senders = new ArrayList<>();
        List<Throwable> senderFailures = new CopyOnWriteArrayList<>();
        for (OrderService variant : variants) {
            LoadGenerator generator = generators.get(variant.name());
            List<Stream> own = streams.get(variant.name());
            senders.add(Thread.ofVirtual().name("demo-load-" + variant.name()).start(() -> {
                try {
                    generator.run(own, start, duration);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    senderFailures.add(e);
                }
            }));
        }
        Progress progress = new Progress(shown ? out : new PrintStream(OutputStream.nullOutputStream()), live && shown, start, stats,
                generators);
        int nextAction = 0;
        long nextTick = start + TimeUnit.SECONDS.toNanos(1);
        try {
            while (System.nanoTime() - (start + duration) < 0) {
                long now = System.nanoTime();
                while (nextAction < actions.size() && now - (start + actions.get(nextAction).at().toNanos()) >= 0) {
                    Phase.Action action = actions.get(nextAction++);
                    if (!action.at().isZero()) {
                        action.change().run();
                        progress.note(String.format("  +%.1fs  %s", (now - start) / 1e9, action.description()));
                    }
                }
                if (now - nextTick >= 0) {
                    progress.tick();
                    nextTick += TimeUnit.SECONDS.toNanos(1);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                if (Thread.interrupted()) {
                    throw new InterruptedException("demo interrupted");
                }
            }
            for (Thread sender : senders) {
                sender.join(Duration.ofSeconds(5));
            }
        } finally {
            for (Thread sender : senders) {
                sender.interrupt();
            }
        }
        long end = System.nanoTime();
        // Let answers still in flight land in this phase's numbers; every wait below is bounded.
        long drainBound = settings.safetyCap().plusSeconds(2).toNanos();
        Map<String, Integer> unfinished = new LinkedHashMap<>();
        for (LoadGenerator generator : generators.values()) {
            long left = drainBound - (System.nanoTime() - end);
            generator.awaitIdle(Math.max(0, left));
            unfinished.put(generator.variant(), generator.inFlight());
        }
        progress.finish();
        if (!senderFailures.isEmpty()) {
            throw new IllegalStateException("load generator failed", senderFailures.getFirst());
        }
        Map<String, VariantResult> byVariant = new LinkedHashMap<>();
        for (OrderService variant : variants) {
            Map<String, EndpointStats.Summary> endpoints = new LinkedHashMap<>();
            stats.get(variant.name()).forEach((endpoint, s) -> endpoints.put(endpoint, s.summary()));
            Map<String, ArrivalMeter.Load> load = new LinkedHashMap<>();
            for (String service : SERVICES) {
                load.put(service, meter.load(service, variant.name(), start, end));
            }
            Map<String, Long> counters = new java.util.TreeMap<>();
            Map<String, Long> before = countersBefore.get(variant.name());
            variant.counters().forEach((name, value) -> counters.put(name, value - before.getOrDefault(name, 0L)));
            byVariant.put(variant.name(), new VariantResult(endpoints, load, counters, unfinished.get(variant.name())));
        }
        Verdict firstVerdict = diagnoser == null ? null : diagnoser.diagnose().first();
        return new PhaseResult(index, phase, end - start, machineLoad, byVariant, timeline.of(phase.name()), firstVerdict);
    }

    /**
     * One variant's numbers in one phase.
     *
     * @param endpoints per endpoint
     * @param load per downstream service, the load this variant sent
     * @param counters what the phase added to the variant's resource counters
     * @param unfinished requests still in flight when the phase's bounded drain ended
     */
    record VariantResult(Map<String, EndpointStats.Summary> endpoints, Map<String, ArrivalMeter.Load> load,
                         Map<String, Long> counters, int unfinished) {
    }

    /**
     * One phase's results.
     *
     * @param index 1-based position in the script
     * @param phase what the phase was
     * @param durationNanos how long the load ran
     * @param machineLoad the machine's one-minute load average when the phase started (negative if unknown)
     * @param variants per variant
     * @param events Strata's events during the phase
     * @param diagnosis the runtime diagnoser's first verdict about the Strata variant in this phase, null when healthy
     */
    record PhaseResult(int index, Phase phase, long durationNanos, double machineLoad, Map<String, VariantResult> variants,
                              List<EventTimeline.Entry> events, Verdict diagnosis) {
    }

    /**
     * The whole run.
     *
     * @param settings the numbers it ran with
     * @param phases per phase, in order
     * @param totalNanos wall time of the run, start-up and shutdown included
     */
    public record DemoResult(DemoSettings settings, List<PhaseResult> phases, long totalNanos) {

        /** The results as JSON, the shape {@code --json} writes. */
        public String toJson() {
            return dev.strata.shop.Response.jsonText(Report.toJsonTree(this));
        }
    }
}
