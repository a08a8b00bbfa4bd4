package dev.strata.bench.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.ratelimit.RateLimitDecision;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Runs every local rate-limiter benchmark outside JMH, so a benchmark that breaks (or measures a
 * refusal instead of the success path) fails the build; and checks that Strata's success path
 * allocates nothing, as the benchmark's 0 B/op says.
 */
class LimitsBenchmarkSmokeTest {

    private static final int WARM_UP = 50_000;
    private static final int MEASURED = 200_000;

    /** Where the negative control keeps its decisions, so they escape. */
    private static volatile RateLimitDecision kept;

    @Test
    void everyLocalLimiterBenchmarkAdmits() throws Exception {
        LocalRateLimiterBenchmark b = new LocalRateLimiterBenchmark();
        b.setUp();
        LocalRateLimiterBenchmark.Holder holder = new LocalRateLimiterBenchmark.Holder();
        List<Method> methods = Arrays.stream(LocalRateLimiterBenchmark.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class)).toList();
        assertThat(methods).hasSize(8);
        for (Method m : methods) {
            Object admitted = m.getParameterCount() == 0 ? m.invoke(b) : m.invoke(b, holder);
            assertThat(admitted).as(m.getName()).isEqualTo(true);
        }
        assertThat(holder.decision.allowed()).isTrue();
    }

    @Test
    void strataSuccessPathsAllocateNothing() {
        LocalRateLimiterBenchmark b = new LocalRateLimiterBenchmark();
        b.setUp();
        LocalRateLimiterBenchmark.Holder holder = new LocalRateLimiterBenchmark.Holder();
        assertAllocationFree("strataGcra", b::strataGcra);
        assertAllocationFree("strataGcraWithDecision", () -> b.strataGcraWithDecision(holder));
        assertAllocationFree("strataFixedWindow", b::strataFixedWindow);
        assertAllocationFree("strataTokenBucket", b::strataTokenBucket);
        assertAllocationFree("strataSlidingWindowCounter", b::strataSlidingWindowCounter);
    }

    /** The check itself sees an allocation: a fresh decision per call (kept, so it cannot be optimised away). */
    @Test
    void theAllocationCheckSeesADecisionAllocatedPerCall() {
        LocalRateLimiterBenchmark b = new LocalRateLimiterBenchmark();
        b.setUp();
        BooleanSupplier allocating = () -> {
            kept = b.gcra.decide("k");
            return kept.allowed();
        };
        assertThat(allocatedBy(allocating)).isGreaterThanOrEqualTo(16L * MEASURED);
    }

    /** Under one byte per decision over 200,000 admitted decisions (an allocating path costs 16 B or more each). */
    private static void assertAllocationFree(String name, BooleanSupplier decision) {
        assertThat(allocatedBy(decision)).as("%s: bytes allocated by %d admitted decisions", name, MEASURED)
                .isLessThan(MEASURED);
    }

    /** Bytes this thread allocated over {@link #MEASURED} decisions, after a warm-up; each must admit. */
    private static long allocatedBy(BooleanSupplier decision) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < WARM_UP; i++) {
            assertThat(decision.getAsBoolean()).isTrue();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        int admitted = 0;
        for (int i = 0; i < MEASURED; i++) {
            admitted += decision.getAsBoolean() ? 1 : 0;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(admitted).isEqualTo(MEASURED);
        return allocated;
    }
}
