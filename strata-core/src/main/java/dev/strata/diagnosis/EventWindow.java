package dev.strata.diagnosis;

import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One dependency's events over the last window, in one-second buckets: counts per signal, the
 * earliest time and the largest number seen per signal, and the last few event lines. Memory is
 * fixed when it is made (buckets x signals), whatever the event rate.
 */
final class EventWindow {

    /** What an event tells the diagnosis; counted per bucket. */
    enum Signal {
        STALE_FAST, STALE_HUNG, STALE_REACHED_CALLER, LEAK, RETRY_SUCCEEDED, ATTEMPT_FAILED, GAVE_UP,
        TIMEOUT_FIRED, DEADLINE_FIRED, BREAKER_OPENED, BREAKER_CLOSED, BREAKER_HALF_OPENED, BREAKER_REJECTED,
        BULKHEAD_FULL, BUDGET_EXHAUSTED, DNS_SLOW, LIMIT_AT_MINIMUM, LIMIT_LEFT_MINIMUM
    }

    static final int SIGNALS = Signal.values().length;
    static final int FAULTS = FaultKind.values().length;
    /** Counters: signals, then faults seen by calls (pipeline events), then faults seen by pools and connectors. */
    static final int WIDTH = SIGNALS + 2 * FAULTS;
    static final int LINES = 24;

    private static final Pattern ATTEMPT = Pattern.compile("attempt (\\d+)/(\\d+)");
    private static final Pattern MINIMUM = Pattern.compile("at its minimum (\\d+)");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s)\\b|(\\d+)m(\\d+)s");

    private final String dependency;
    private final int slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] stamps;
    private final long[][] counts;
    private final long[][] first;
    private final long[][] last;
    private final long[][] max;
    private final long[][] min;
    private final String[] lines = new String[LINES];
    private final int[] lineSignal = new int[LINES];
    private final int[] lineFault = new int[LINES];
    /** Identity of the event behind each line, only to tell a second counter of the same event. */
    private final Object[] lineEvent = new Object[LINES];
    private final long[] lineMillis = new long[LINES];
    private int nextLine;
    private String lastLeak;

    EventWindow(String dependency, int seconds) {
        this.dependency = dependency;
        this.slots = seconds;
        this.stamps = new long[slots];
        Arrays.fill(stamps, Long.MIN_VALUE);
        this.counts = new long[slots][WIDTH];
        this.first = new long[slots][WIDTH];
        this.last = new long[slots][WIDTH];
        this.max = new long[slots][WIDTH];
        this.min = new long[slots][WIDTH];
    }

    String dependency() {
        return dependency;
    }

    /** Files the event under what it says; events that say nothing to the diagnosis are ignored. */
    void accept(StrataEvent event) {
        Fault fault = event.fault();
        String message = event.message();
        switch (event.type()) {
            case "pool.stale-replaced", "pool.stale-keepalive-failed" -> {
                boolean hung = message.contains("no answer within");
                record(event, (hung ? Signal.STALE_HUNG : Signal.STALE_FAST).ordinal(), idleMillis(fault));
            }
            case "pool.stale-failed" -> {
                String seenAs = message.contains("seen as ") ? message.substring(message.indexOf("seen as ")) : "";
                boolean hung = seenAs.contains("timeout") || seenAs.contains("deadline");
                long idle = idleMillis(fault);
                record(event, Signal.STALE_REACHED_CALLER.ordinal(), idle);
                record(event, (hung ? Signal.STALE_HUNG : Signal.STALE_FAST).ordinal(), idle);
            }
            case "pool.leak-suspected" -> {
                record(event, Signal.LEAK.ordinal(), -1);
                lastLeak = message;
            }
            case "pool.create-failed", "connect.failed" -> {
                if (fault != null) {
                    record(event, SIGNALS + FAULTS + fault.kind().ordinal(), -1);
                }
            }
            case "ratelimit.rejected" -> record(event, SIGNALS + FAULTS + FaultKind.RATE_LIMITED.ordinal(), -1);
            case "dns.slow" -> record(event, Signal.DNS_SLOW.ordinal(), firstDurationMillis(message));
            case "retry.attempt-failed" -> {
                record(event, Signal.ATTEMPT_FAILED.ordinal(), attemptNumber(message));
                if (fault != null) {
                    record(event, SIGNALS + fault.kind().ordinal(), attemptNumber(message));
                }
            }
            case "retry.gave-up", "call.failed" -> {
                record(event, Signal.GAVE_UP.ordinal(), attemptNumber(message));
                if (fault != null) {
                    record(event, SIGNALS + fault.kind().ordinal(), attemptNumber(message));
                }
            }
            case "retry.succeeded" -> record(event, Signal.RETRY_SUCCEEDED.ordinal(), attemptNumber(message));
            case "timeout.fired" -> {
                boolean deadline = fault != null && fault.kind() == FaultKind.DEADLINE_EXCEEDED;
                record(event, (deadline ? Signal.DEADLINE_FIRED : Signal.TIMEOUT_FIRED).ordinal(),
                        fault == null ? -1 : firstDurationMillis(fault.detail()));
            }
            case "breaker.state-changed" -> {
                if (event instanceof CircuitBreaker.Transition t) {
                    Signal s = switch (t.to()) {
                        case OPEN, FORCED_OPEN -> Signal.BREAKER_OPENED;
                        case CLOSED -> Signal.BREAKER_CLOSED;
                        case HALF_OPEN -> Signal.BREAKER_HALF_OPENED;
                        default -> null;
                    };
                    if (s != null) {
                        record(event, s.ordinal(), t.openNanos() / 1_000_000);
                    }
                }
            }
            case "breaker.call-not-permitted" -> record(event, Signal.BREAKER_REJECTED.ordinal(), -1);
            case "bulkhead.full" -> record(event, Signal.BULKHEAD_FULL.ordinal(), -1);
            case "retry-budget.exhausted" -> record(event, Signal.BUDGET_EXHAUSTED.ordinal(), -1);
            case "adaptive-limit.minimum" -> record(event, Signal.LIMIT_AT_MINIMUM.ordinal(), minimumLimit(message));
            case "adaptive-limit.recovered" -> record(event, Signal.LIMIT_LEFT_MINIMUM.ordinal(), -1);
            default -> {
                // not evidence for any finding
            }
        }
    }

    private void record(StrataEvent event, int index, long value) {
        long millis = event.epochMillis();
        long second = Math.floorDiv(millis, 1000);
        int slot = (int) Math.floorMod(second, (long) slots);
        lock.lock();
        try {
            if (stamps[slot] != second) {
                if (stamps[slot] > second) {
                    return; // older than the window: a late event, no longer evidence
                }
                stamps[slot] = second;
                Arrays.fill(counts[slot], 0);
                Arrays.fill(first[slot], Long.MAX_VALUE);
                Arrays.fill(last[slot], Long.MIN_VALUE);
                Arrays.fill(max[slot], Long.MIN_VALUE);
                Arrays.fill(min[slot], Long.MAX_VALUE);
            }
            counts[slot][index]++;
            first[slot][index] = Math.min(first[slot][index], millis);
            last[slot][index] = Math.max(last[slot][index], millis);
            if (value >= 0) {
                max[slot][index] = Math.max(max[slot][index], value);
                min[slot][index] = Math.min(min[slot][index], value);
            }
            if (index == Signal.BREAKER_REJECTED.ordinal() || index == Signal.BULKHEAD_FULL.ordinal()) {
                return; // one per refused call: counted, but their lines would push out the lines of the cause
            }
            // One event may count under a signal and under its fault kind: keep its line once,
            // tagged with both, so evidence lists each event once.
            int last = (nextLine + LINES - 1) % LINES;
            if (lines[last] != null && lineEvent[last] == event) {
                lineFault[last] = index;
            } else {
                lines[nextLine] = event.logLine();
                lineEvent[nextLine] = event;
                lineSignal[nextLine] = index;
                lineFault[nextLine] = -1;
                lineMillis[nextLine] = millis;
                nextLine = (nextLine + 1) % LINES;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sums over the buckets within {@code windowMillis} of {@code nowMillis}. */
    Totals totals(long nowMillis, long windowMillis) {
        long from = Math.floorDiv(nowMillis - windowMillis, 1000);
        Totals t = new Totals();
        lock.lock();
        try {
            for (int slot = 0; slot < slots; slot++) {
                if (stamps[slot] == Long.MIN_VALUE || stamps[slot] < from) {
                    continue;
                }
                for (int i = 0; i < WIDTH; i++) {
                    if (counts[slot][i] == 0) {
                        continue;
                    }
                    t.counts[i] += counts[slot][i];
                    t.first[i] = Math.min(t.first[i], first[slot][i]);
                    t.last[i] = Math.max(t.last[i], last[slot][i]);
                    t.max[i] = Math.max(t.max[i], max[slot][i]);
                    t.min[i] = Math.min(t.min[i], min[slot][i]);
                }
            }
            for (int k = 0; k < LINES; k++) {
                int i = (nextLine + k) % LINES;
                if (lines[i] != null && lineMillis[i] >= nowMillis - windowMillis) {
                    t.lines.add(new Line(lineSignal[i], lineFault[i], lineMillis[i], lines[i]));
                }
            }
            t.lastLeak = lastLeak;
        } finally {
            lock.unlock();
        }
        return t;
    }

    record Line(int index, int faultIndex, long millis, String text) {
    }

    /** A window's sums; values that were never seen are -1 / Long.MAX_VALUE. */
    static final class Totals {
        final long[] counts = new long[WIDTH];
        final long[] first = new long[WIDTH];
        final long[] last = new long[WIDTH];
        final long[] max = new long[WIDTH];
        final long[] min = new long[WIDTH];
        final List<Line> lines = new ArrayList<>();
        String lastLeak;

        Totals() {
            Arrays.fill(first, Long.MAX_VALUE);
            Arrays.fill(last, Long.MIN_VALUE);
            Arrays.fill(max, -1);
            Arrays.fill(min, Long.MAX_VALUE);
        }

        long count(Signal s) {
            return counts[s.ordinal()];
        }

        long maxOf(Signal s) {
            return max[s.ordinal()];
        }

        long minOf(Signal s) {
            return min[s.ordinal()] == Long.MAX_VALUE ? -1 : min[s.ordinal()];
        }

        long firstOf(Signal s) {
            return first[s.ordinal()];
        }

        /** When the latest of these signals was seen, or {@code Long.MIN_VALUE}: how current a verdict's evidence is. */
        long lastOf(Signal... signals) {
            long l = Long.MIN_VALUE;
            for (Signal s : signals) {
                l = Math.max(l, last[s.ordinal()]);
            }
            return l;
        }

        /** When a call, a pool or a connector last saw this fault kind, or {@code Long.MIN_VALUE}. */
        long lastSeen(FaultKind kind) {
            return Math.max(last[SIGNALS + kind.ordinal()], last[SIGNALS + FAULTS + kind.ordinal()]);
        }

        /** When an attempt (pipeline events) last failed with a fault of this layer, or {@code Long.MIN_VALUE}. */
        long lastIn(Layer layer) {
            long l = Long.MIN_VALUE;
            for (FaultKind k : FaultKind.values()) {
                if (k.layer() == layer) {
                    l = Math.max(l, last[SIGNALS + k.ordinal()]);
                }
            }
            return l;
        }

        /** Attempts of calls that failed with this fault kind (pipeline events). */
        long calls(FaultKind kind) {
            return counts[SIGNALS + kind.ordinal()];
        }

        /** Times a pool or connector saw this fault kind opening a connection. */
        long infra(FaultKind kind) {
            return counts[SIGNALS + FAULTS + kind.ordinal()];
        }

        /** Either view, whichever saw more (one failure may be published by both). */
        long seen(FaultKind kind) {
            return Math.max(calls(kind), infra(kind));
        }

        long firstSeen(FaultKind kind) {
            return Math.min(first[SIGNALS + kind.ordinal()], first[SIGNALS + FAULTS + kind.ordinal()]);
        }

        /** Attempt failures (pipeline events) whose fault is in this layer. */
        long callsIn(Layer layer) {
            long n = 0;
            for (FaultKind k : FaultKind.values()) {
                if (k.layer() == layer) {
                    n += calls(k);
                }
            }
            return n;
        }

        long firstIn(Layer layer) {
            long f = Long.MAX_VALUE;
            for (FaultKind k : FaultKind.values()) {
                if (k.layer() == layer) {
                    f = Math.min(f, first[SIGNALS + k.ordinal()]);
                }
            }
            return f;
        }

        /** Counts per fault kind seen by calls, for evidence: {@code {"NETWORK/connection-reset": 4}}. */
        java.util.Map<String, Object> callFaults() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            for (FaultKind k : FaultKind.values()) {
                if (calls(k) > 0) {
                    m.put(k.qualifiedName(), calls(k));
                }
            }
            return m;
        }

        /** The last {@code limit} event lines about any of these counters, oldest first. */
        List<String> lines(int limit, int... indexes) {
            List<String> out = new ArrayList<>();
            for (int i = lines.size() - 1; i >= 0 && out.size() < limit; i--) {
                Line line = lines.get(i);
                for (int index : indexes) {
                    if (line.index() == index || line.faultIndex() == index) {
                        out.addFirst(line.text());
                        break;
                    }
                }
            }
            return out;
        }
    }

    static long idleMillis(Fault fault) {
        return fault == null ? -1 : firstDurationMillis(fault.detail());
    }

    /** The limit in an {@code adaptive-limit.minimum} message ({@code at its minimum 2: ...}), or -1. */
    static long minimumLimit(String message) {
        Matcher m = MINIMUM.matcher(message);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static long attemptNumber(String message) {
        Matcher m = ATTEMPT.matcher(message);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The first duration in Strata's own format ({@code 850us}, {@code 2ms}, {@code 1.13s}, {@code 2m05s}). */
    static long firstDurationMillis(String text) {
        if (text == null) {
            return -1;
        }
        Matcher m = DURATION.matcher(text);
        if (!m.find()) {
            return -1;
        }
        if (m.group(3) != null) {
            return (Long.parseLong(m.group(3)) * 60 + Long.parseLong(m.group(4))) * 1000;
        }
        double n = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> 0;
            case "ms" -> (long) n;
            default -> Math.round(n * 1000);
        };
    }
}
