package dev.strata.bench.overload;

import dev.strata.call.Criticality;
import dev.strata.call.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A discrete-event simulation in virtual time: an open-loop Poisson arrival process calls a
 * dependency of {@code workers} servers (FIFO queue in front, service time = the phase's latency
 * +-20 %), through a {@link Gate}. Each caller waits until its deadline, then gives up (a drop for
 * the gate); the dependency does not know and still serves the abandoned call, as most servers do.
 * The gate's limiter runs on the simulation's {@link ManualClock}, so the numbers come from the
 * real code, not from a model of it, and the same seed gives the same run.
 */
final class DependencySim {

    /** One stretch of time with a fixed service latency. */
    record Phase(Duration length, Duration latency) {}

    /** What happened to the calls that arrived during one phase. */
    static final class PhaseStats {
        long arrivals;
        long rejected;
        long admitted;
        long good;
        long timedOut;
        final long[] arrivalsBy = new long[3];
        final long[] goodBy = new long[3];
        long[] latencies = new long[1024];
        int latencyCount;

        void latency(long nanos) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencyCount * 2);
            }
            latencies[latencyCount++] = nanos;
        }

        /** p-th percentile (0..100) of the admitted calls' latency (a timed-out call counts as its deadline), ms. */
        double percentileMs(double p) {
            if (latencyCount == 0) {
                return 0;
            }
            long[] sorted = Arrays.copyOf(latencies, latencyCount);
            Arrays.sort(sorted);
            int i = (int) Math.min(latencyCount - 1, Math.ceil(p / 100 * latencyCount) - 1);
            return sorted[Math.max(0, i)] / 1e6;
        }
    }

    /** The outcome of a run: per phase stats and the limit sampled every {@code SAMPLE}. */
    record Result(String gate, List<Phase> phases, PhaseStats[] stats, int[] limitSamples, double seconds) {
        double goodputPerSecond(int phase) {
            return stats[phase].good * 1e9 / phases.get(phase).length().toNanos();
        }
    }

    static final long SAMPLE = Duration.ofMillis(100).toNanos();

    private static final int ARRIVAL = 0;
    private static final int SERVED = 1;
    private static final int DEADLINE = 2;
    private static final int SAMPLE_LIMIT = 3;

    private static final class Call {
        final long arrival;
        final int phase;
        final Criticality criticality;
        Object token;
        boolean finished;

        Call(long arrival, int phase, Criticality criticality) {
            this.arrival = arrival;
            this.phase = phase;
            this.criticality = criticality;
        }
    }

    private record Event(long time, long seq, int type, Call call) {}

    private final int workers;
    private final double ratePerSecond;
    private final Duration deadline;
    private final double criticalShare;
    private final double sheddableShare;
    private final long seed;

    /**
     * @param criticalShare share of calls marked critical; {@code sheddableShare} sheddable; the rest default
     */
    DependencySim(int workers, double ratePerSecond, Duration deadline, double criticalShare, double sheddableShare, long seed) {
        this.workers = workers;
        this.ratePerSecond = ratePerSecond;
        this.deadline = deadline;
        this.criticalShare = criticalShare;
        this.sheddableShare = sheddableShare;
        this.seed = seed;
    }

    /** Runs the phases back to back with a fresh gate made on a fresh virtual clock. */
    Result run(List<Phase> phases, Function<ManualClock, Gate> gateFactory) {
        ManualClock clock = new ManualClock();
        Gate gate = gateFactory.apply(clock);
        // Arrivals and service times draw from separate streams, so every gate sees the same calls
        // arrive: with one stream a gate that admitted fewer calls drew fewer service times, shifted
        // every later arrival, and the gates' goodput differed by up to 0.5 % for that alone.
        SplittableRandom random = new SplittableRandom(seed);
        SplittableRandom serviceRandom = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        long[] phaseEnd = new long[phases.size()];
        long[] phaseLatency = new long[phases.size()];
        long t = 0;
        for (int i = 0; i < phases.size(); i++) {
            t += phases.get(i).length().toNanos();
            phaseEnd[i] = t;
            phaseLatency[i] = phases.get(i).latency().toNanos();
        }
        long end = t;
        long deadlineNanos = deadline.toNanos();
        PhaseStats[] stats = new PhaseStats[phases.size()];
        Arrays.setAll(stats, i -> new PhaseStats());
        int[] samples = new int[(int) (end / SAMPLE)];
        PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.time != b.time ? Long.compare(a.time, b.time)
                : Long.compare(a.seq, b.seq));
        ArrayDeque<Call> queue = new ArrayDeque<>();
        int busy = 0;
        long seq = 0;
        double meanGapNanos = 1e9 / ratePerSecond;
        events.add(new Event(0, seq++, ARRIVAL, null));
        events.add(new Event(0, seq++, SAMPLE_LIMIT, null));
        long wall = System.nanoTime();
        while (!events.isEmpty()) {
            Event e = events.poll();
            if (e.time > end + deadlineNanos) {
                break;
            }
            long now = e.time;
            long delta = now - clock.nanoTime();
            if (delta > 0) {
                clock.advance(Duration.ofNanos(delta));
            }
            switch (e.type) {
                case ARRIVAL -> {
                    if (now >= end) {
                        continue;
                    }
                    long next = now + Math.max(1, (long) (-Math.log(1 - random.nextDouble()) * meanGapNanos));
                    events.add(new Event(next, seq++, ARRIVAL, null));
                    int p = phaseOf(phaseEnd, now);
                    double r = random.nextDouble();
                    Criticality c = r < criticalShare ? Criticality.CRITICAL
                            : r < criticalShare + sheddableShare ? Criticality.SHEDDABLE : Criticality.DEFAULT;
                    Call call = new Call(now, p, c);
                    PhaseStats s = stats[p];
                    s.arrivals++;
                    s.arrivalsBy[c.ordinal()]++;
                    call.token = gate.admit(c);
                    if (call.token == null) {
                        s.rejected++;
                        continue;
                    }
                    s.admitted++;
                    events.add(new Event(now + deadlineNanos, seq++, DEADLINE, call));
                    if (busy < workers) {
                        busy++;
                        events.add(new Event(now + service(phaseLatency[phaseOf(phaseEnd, now)], serviceRandom), seq++, SERVED, call));
                    } else {
                        queue.add(call);
                    }
                }
                case SERVED -> {
                    Call call = e.call;
                    if (!call.finished) {
                        call.finished = true;
                        PhaseStats s = stats[call.phase];
                        s.good++;
                        s.goodBy[call.criticality.ordinal()]++;
                        s.latency(now - call.arrival);
                        gate.success(call.criticality, call.token);
                    }
                    Call head = queue.poll();
                    if (head == null) {
                        busy--;
                    } else {
                        events.add(new Event(now + service(phaseLatency[phaseOf(phaseEnd, Math.min(now, end - 1))], serviceRandom),
                                seq++, SERVED, head));
                    }
                }
                case DEADLINE -> {
                    Call call = e.call;
                    if (!call.finished) {
                        call.finished = true; // the caller gives up; the server will still serve it
                        PhaseStats s = stats[call.phase];
                        s.timedOut++;
                        s.latency(deadlineNanos);
                        gate.dropped(call.criticality, call.token);
                    }
                }
                default -> {
                    int i = (int) (now / SAMPLE);
                    if (i < samples.length) {
                        samples[i] = gate.limit();
                        events.add(new Event(now + SAMPLE, seq++, SAMPLE_LIMIT, null));
                    }
                }
            }
        }
        return new Result(gate.name(), phases, stats, samples, (System.nanoTime() - wall) / 1e9);
    }

    private static long service(long latency, SplittableRandom random) {
        return (long) (latency * (0.8 + 0.4 * random.nextDouble()));
    }

    private static int phaseOf(long[] phaseEnd, long now) {
        for (int i = 0; i < phaseEnd.length; i++) {
            if (now < phaseEnd[i]) {
                return i;
            }
        }
        return phaseEnd.length - 1;
    }
}
