package dev.strata.diagnosis;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.call.Interceptor;
import dev.strata.internal.Require;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Which layer broke, answered inside the running service. Subscribes to a
 * {@link DiagnosisSource}'s event bus, polls the stats of its pools and breakers, and on
 * {@link #diagnose()} turns what it saw in the last window into {@link Verdict verdicts},
 * bottom-up: L1 before L2 before the remote side before L3 before L4, and a verdict that explains
 * another's symptoms (stale connections explaining retries that succeed on attempt 2; duplicate
 * pools explaining "too many connections") placed before it and naming it.
 *
 * <p>Guarantees: it only reads (stats, configs and events; it never changes a component); it adds
 * nothing to a call that succeeds on its first attempt, because such a call publishes no event
 * and the poller runs on its own thread; its memory is fixed by the window and the number of
 * dependencies ({@link #MAX_DEPENDENCIES}), whatever the event rate; its listener takes one
 * short lock per event and never blocks on I/O. Thread-safe. Close it to unsubscribe and stop
 * the poller.
 *
 * <p>Every finding id is documented in {@code docs/diagnosis.md}.
 */
public final class Diagnoser implements AutoCloseable {

    /** Dependencies tracked; events of further names are counted under {@link #OTHER}. */
    public static final int MAX_DEPENDENCIES = 256;
    /** Where events of dependencies beyond {@link #MAX_DEPENDENCIES} go. */
    public static final String OTHER = "(other)";

    /**
     * A verdict is {@link Verdict.State#ACTIVE active} while its latest evidence is at most this old
     * (or while the open wait of the dependency's breaker, opened on that evidence, runs):
     * {@link Diagnosis#healthy()} within this time of the last bad sample (or of that open wait's
     * end) once a fault is gone.
     */
    public static final Duration ACTIVE_FOR = Duration.ofSeconds(5);
    /** A verdict leaves {@link Diagnosis#verdicts()} for {@link Diagnosis#recent()} when its latest evidence is this old. */
    public static final Duration RECOVERING_FOR = Duration.ofSeconds(15);

    /** Lowest layer first; {@link VerdictOrder}, not this list, decides the order of a diagnosis. */
    private static final List<VerdictRule> RULES = List.of(new NetworkRules(), new ResourceRules(), new ResilienceRules(),
            new OverloadRules(), new ApplicationRules());

    private final DiagnosisSource source;
    private final Clock clock;
    private final long windowMillis;
    private final Intake intake;
    private final VerdictHistory history;

    private Diagnoser(Builder b) {
        this.source = b.source;
        this.clock = b.clock;
        this.windowMillis = b.window.toMillis();
        this.intake = new Intake(source, clock, windowMillis, b.pollInterval.toMillis());
        this.history = new VerdictHistory(ACTIVE_FOR.toMillis(), RECOVERING_FOR.toMillis(), windowMillis);
    }

    /**
     * The runtime's diagnosis, the equivalent of {@code strata.diagnose()}: a diagnoser reading the
     * L4 runtime's events, pools, breakers, bulkheads, budget checks and registry findings, started
     * now and handed to the runtime to close on shutdown. Call once per runtime and keep it.
     */
    public static Diagnoser of(dev.strata.application.Strata strata) {
        Require.nonNull("strata", strata);
        return strata.own("diagnoser", builder(new RuntimeSource(strata)).clock(strata.clock()).start());
    }

    /** A diagnoser reading {@code source}; call {@link Builder#start()}. */
    public static Builder builder(DiagnosisSource source) {
        return new Builder(source);
    }

    /** Samples every pool's stats once; public for tests and tools that drive time themselves. */
    public void poll() {
        intake.poll();
    }

    /**
     * An interceptor that measures one attempt in {@code every} of {@code dependency}'s calls,
     * so the diagnosis can compare a timeout with the operation's real latency
     * ({@code timeout-too-tight}). Optional: without it that finding says the latency is unknown.
     * The unmeasured attempts pay one atomic increment.
     */
    public Interceptor latencyProbe(String dependency, int every) {
        Require.between("every", every, 1, 1_000_000);
        LatencyTrack track = intake.latencyTrack(dependency);
        AtomicLong counter = new AtomicLong();
        return new Interceptor() {
            @Override
            public <T> T intercept(CallContext context, Callable<T> attempt) throws Exception {
                if (counter.incrementAndGet() % every != 0) {
                    return attempt.call();
                }
                long start = clock.nanoTime();
                T result = attempt.call();
                track.add(clock.currentTimeMillis(), clock.nanoTime() - start);
                return result;
            }
        };
    }

    /** Dependencies with an event window now (at most {@link #MAX_DEPENDENCIES} + 1). */
    int trackedDependencies() {
        return intake.trackedDependencies();
    }

    /**
     * The current diagnosis: what is broken now (active verdicts, most likely root cause first),
     * then what stopped less than {@link #RECOVERING_FOR} ago, and what recovered earlier in the
     * window under {@link Diagnosis#recent()}.
     */
    public Diagnosis diagnose() {
        poll();
        long now = clock.currentTimeMillis();
        Evidence in = new Evidence(now, windowMillis, clock, source, intake);
        List<Verdict> found = new ArrayList<>();
        for (VerdictRule rule : RULES) {
            rule.evaluate(in, found);
        }
        VerdictHistory.Stamped stamped = history.stamp(heldOpen(in, found, now), now);
        VerdictOrder order = new VerdictOrder(source.pools());
        List<Verdict> recent = new ArrayList<>(order.order(stamped.recent())); // explains narrowed among them
        recent.sort(java.util.Comparator.comparing(Verdict::until).reversed()); // the latest to recover first
        return new Diagnosis(Instant.ofEpochMilli(now), order.order(stamped.listed()), recent);
    }

    /**
     * While a dependency's breaker stays open, no call reaches it and no new evidence comes: the
     * verdicts whose evidence made it open are still about now, so their latest evidence is now,
     * until the open wait ends (the next call probes the dependency and brings evidence again).
     */
    private static List<Verdict> heldOpen(Evidence in, List<Verdict> found, long now) {
        List<Verdict> out = new ArrayList<>(found.size());
        for (Verdict v : found) {
            dev.strata.resilience.CircuitBreaker breaker = in.breaker(v.dependency());
            EventWindow.Totals t = in.totals().get(v.dependency());
            long opened = t == null ? Long.MIN_VALUE : t.lastOf(EventWindow.Signal.BREAKER_OPENED);
            if (breaker != null && opened != Long.MIN_VALUE && v.until() != null
                    && breaker.state() == dev.strata.resilience.CircuitBreaker.State.OPEN && breaker.remainingOpenNanos() > 0
                    && v.until().toEpochMilli() >= opened - ACTIVE_FOR.toMillis()) {
                v = new Verdict(v.id(), v.layer(), v.dependency(), v.summary(), v.evidence(), v.explains(), v.fix(),
                        v.since(), Verdict.State.ACTIVE, Instant.ofEpochMilli(now));
            }
            out.add(v);
        }
        return out;
    }

    /** {@code host:port} of a target {@code host:port/database[@user]}. */
    static String serverOf(String target) {
        int slash = target.indexOf('/');
        return slash < 0 ? target : target.substring(0, slash);
    }

    /** Unsubscribes and stops the poller; {@link #diagnose()} still answers from what was seen. */
    @Override
    public void close() {
        intake.close();
    }

    /** Settings of a {@link Diagnoser}: window 60 s, poll every 250 ms, the system clock. */
    public static final class Builder {
        private final DiagnosisSource source;
        private Duration window = Duration.ofSeconds(60);
        private Duration pollInterval = Duration.ofMillis(250);
        private Clock clock = Clock.system();

        private Builder(DiagnosisSource source) {
            this.source = Require.nonNull("source", source);
        }

        /** How far back verdicts look; 5 s to 1 h. A fault that stops is forgotten after it. */
        public Builder window(Duration window) {
            this.window = Require.between("window", window, Duration.ofSeconds(5), Duration.ofHours(1));
            return this;
        }

        /** How often pool stats are sampled; 10 ms to 1 min. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Require.between("pollInterval", pollInterval, Duration.ofMillis(10), Duration.ofMinutes(1));
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /** Subscribes and starts polling. */
        public Diagnoser start() {
            return new Diagnoser(this);
        }
    }
}
