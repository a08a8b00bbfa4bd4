package dev.strata.bench.overload;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import dev.strata.call.Criticality;
import dev.strata.call.ManualClock;
import dev.strata.resilience.AdaptiveLimit;
import java.util.Optional;
import java.util.function.Function;

/**
 * The admission policy in front of the simulated dependency: the real limiter code, driven by the
 * simulation's {@link ManualClock}. {@link #admit} returns a token (null = refused) that is handed
 * back exactly once, to {@link #success} or {@link #dropped}.
 */
interface Gate {

    Object admit(Criticality criticality);

    void success(Criticality criticality, Object token);

    void dropped(Criticality criticality, Object token);

    /** The current limit, or -1 when there is none. */
    int limit();

    String name();

    /** Strata's {@link AdaptiveLimit} with its defaults (gradient), on the virtual clock. */
    static Function<ManualClock, Gate> strata() {
        return clock -> new StrataGate(AdaptiveLimit.builder("sim").clock(clock).build());
    }

    /** A fixed bulkhead of {@code n} slots that refuses at once (no queue). */
    static Function<ManualClock, Gate> fixed(int n) {
        return clock -> new FixedGate(n);
    }

    static Function<ManualClock, Gate> none() {
        return clock -> new FixedGate(Integer.MAX_VALUE);
    }

    /** Netflix concurrency-limits' {@link SimpleLimiter} around the given limit, on the virtual clock. */
    static Function<ManualClock, Gate> netflix(String name, java.util.function.Supplier<Limit> limit) {
        return clock -> new NetflixGate(name, limit.get(), clock);
    }

    static Function<ManualClock, Gate> netflixGradient2() {
        return netflix("netflix Gradient2", () -> Gradient2Limit.newBuilder().build());
    }

    static Function<ManualClock, Gate> netflixVegas() {
        return netflix("netflix Vegas", VegasLimit::newDefault);
    }

    static Function<ManualClock, Gate> netflixAimd() {
        return netflix("netflix AIMD", () -> AIMDLimit.newBuilder().build());
    }

    final class StrataGate implements Gate {
        private final AdaptiveLimit limit;

        StrataGate(AdaptiveLimit limit) {
            this.limit = limit;
        }

        @Override
        public Object admit(Criticality c) {
            long start = limit.tryAcquire(c);
            return start == AdaptiveLimit.NOT_ADMITTED ? null : start;
        }

        @Override
        public void success(Criticality c, Object token) {
            limit.onSuccess(c, (Long) token);
        }

        @Override
        public void dropped(Criticality c, Object token) {
            limit.onDropped(c, (Long) token);
        }

        @Override
        public int limit() {
            return limit.limit();
        }

        @Override
        public String name() {
            return "strata adaptive";
        }
    }

    final class FixedGate implements Gate {
        private static final Object TOKEN = new Object();
        private final int slots;
        private int inFlight;

        FixedGate(int slots) {
            this.slots = slots;
        }

        @Override
        public Object admit(Criticality c) {
            if (inFlight >= slots) {
                return null;
            }
            inFlight++;
            return TOKEN;
        }

        @Override
        public void success(Criticality c, Object token) {
            inFlight--;
        }

        @Override
        public void dropped(Criticality c, Object token) {
            inFlight--;
        }

        @Override
        public int limit() {
            return slots == Integer.MAX_VALUE ? -1 : slots;
        }

        @Override
        public String name() {
            return slots == Integer.MAX_VALUE ? "no limit" : "fixed " + slots;
        }
    }

    final class NetflixGate implements Gate {
        private final String name;
        private final Limit limit;
        private final Limiter<Void> limiter;

        NetflixGate(String name, Limit limit, ManualClock clock) {
            this.name = name;
            this.limit = limit;
            this.limiter = SimpleLimiter.newBuilder().limit(limit).nanoClock(clock::nanoTime).build();
        }

        @Override
        public Object admit(Criticality c) {
            Optional<Limiter.Listener> l = limiter.acquire(null);
            return l.orElse(null);
        }

        @Override
        public void success(Criticality c, Object token) {
            ((Limiter.Listener) token).onSuccess();
        }

        @Override
        public void dropped(Criticality c, Object token) {
            ((Limiter.Listener) token).onDropped();
        }

        @Override
        public int limit() {
            return limit.getLimit();
        }

        @Override
        public String name() {
            return name;
        }
    }
}
