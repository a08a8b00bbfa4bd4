package dev.strata.bench;

import dev.strata.call.CallContext;
import dev.strata.chaos.FaultInjection;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What an enabled {@link FaultInjection} costs a call that it decides not to touch, against the
 * anchor of calling directly, in the same run: each intercepted call takes its number in its
 * dependency's stream and hashes its draws (failure, result). The rates are the smallest
 * positive double, so every decision is really drawn (a rate of 0 skips the draw) but fires
 * with a chance of 2^-53 per call: never in a run. A rate like 1e-9 did fire within a run of
 * about a billion calls and failed the iteration.
 */
@Fork(value = 1, jvmArgsAppend = "-Xss1m")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class FaultInjectionBenchmark {

    static final CallContext PAYMENTS = CallContext.idempotent("payments");
    static final CallContext INVENTORY = CallContext.idempotent("inventory");

    final FaultInjection chaos = FaultInjection.builder().enabled(true).seed(42).events(EventBus.detached())
            .failures(Double.MIN_VALUE, FaultKind.CONNECTION_RESET).replaceResult(Double.MIN_VALUE, () -> -1L).build();
    final Callable<Long> realCall = System::nanoTime;
    long calls;

    /** The anchor: the real call with nothing around it. */
    @Benchmark
    public long direct() throws Exception {
        return realCall.call();
    }

    /** One dependency through the injection. */
    @Benchmark
    public long intercepted() throws Exception {
        return chaos.intercept(PAYMENTS, realCall);
    }

    /** Two dependencies alternating, each on its own stream. */
    @Benchmark
    public long interceptedTwoDependencies() throws Exception {
        return chaos.intercept((calls++ & 1) == 0 ? PAYMENTS : INVENTORY, realCall);
    }

    /** Two threads on one dependency: they share its call counter, the only contended state. */
    @Benchmark
    @Threads(2)
    public long interceptedTwoThreadsOneDependency() throws Exception {
        return chaos.intercept(PAYMENTS, realCall);
    }
}
