package dev.strata.bench;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Floors that explain the policy numbers on a given machine: the bare call every policy wraps,
 * and one read of the monotonic clock, which on some virtual machines costs more than a whole
 * policy and so decides who wins a success-path comparison.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BaselineBenchmark {

    final Callable<String> callable = () -> CircuitBreakerBenchmark.RESULT;

    @Benchmark
    public String directCall() throws Exception {
        return callable.call();
    }

    @Benchmark
    public long systemNanoTime() {
        return System.nanoTime();
    }
}
