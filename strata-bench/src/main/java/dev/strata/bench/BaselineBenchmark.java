package dev.strata.bench;

import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Floors that explain the policy numbers on a given machine: the bare call every policy wraps,
 * one read of the monotonic clock, which on some virtual machines costs more than a whole
 * policy and so decides who wins a success-path comparison, and the take-and-give-back of one
 * shared counter, the least any concurrency limit (a bulkhead, a semaphore) pays per call; and
 * the look-up of one key's state in a concurrent map, alone and with the state's monitor taken
 * and released, the least a keyed rate limiter pays per decision beyond its clock read.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BaselineBenchmark {

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final AtomicInteger slots = new AtomicInteger();
    final ConcurrentHashMap<String, Counter> states = new ConcurrentHashMap<>();
    final String key = "k";

    /** What a keyed limiter keeps per key, reduced to one count. */
    static final class Counter {
        int count;
    }

    public BaselineBenchmark() {
        states.put(key, new Counter());
    }

    @Benchmark
    public String directCall() throws Exception {
        return callable.call();
    }

    @Benchmark
    public long systemNanoTime() {
        return System.nanoTime();
    }

    /** Two atomic read-modify-writes on one counter: a slot taken and given back, with nothing else. */
    @Benchmark
    public int sharedCounterTakeAndGiveBack() {
        int taken = slots.incrementAndGet();
        slots.decrementAndGet();
        return taken;
    }

    /** One key's state found in a concurrent map. */
    @Benchmark
    public Object keyedStateLookup() {
        return states.get(key);
    }

    /** One key's state found, then counted under its monitor, as a keyed limiter decides. */
    @Benchmark
    public int keyedStateLookupAndMonitor() {
        Counter counter = states.get(key);
        synchronized (counter) {
            return ++counter.count;
        }
    }
}
