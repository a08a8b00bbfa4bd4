package dev.strata.bench;

import java.util.concurrent.Callable;
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
 * shared counter, the least any concurrency limit (a bulkhead, a semaphore) pays per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BaselineBenchmark {

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;
    final AtomicInteger slots = new AtomicInteger();

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
}
