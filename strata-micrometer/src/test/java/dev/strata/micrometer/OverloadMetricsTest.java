package dev.strata.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.Criticality;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveLimitExceededException;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.ThrottledException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The adaptive limit's and the throttle's meters, read as a scrape would. */
class OverloadMetricsTest {

    @Test
    void limitInFlightAndRefusalsByCriticalityAreMetered() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdaptiveLimit limit = AdaptiveLimit.builder("search").initialLimit(1).minLimit(1).maxLimit(1)
                .events(EventBus.detached()).build();
        AdaptiveThrottle throttle = AdaptiveThrottle.builder("search").events(EventBus.detached()).build();
        Pipeline pipeline = Pipeline.builder("search").adaptiveLimit(limit).throttle(throttle).events(EventBus.detached()).build();
        try (StrataMetrics metrics = new StrataMetrics(registry)) {
            metrics.bind(pipeline).bind(limit).bind(throttle);
            long held = limit.tryAcquire(Criticality.CRITICAL); // another caller holds the only slot
            assertThat(registry.get("strata.adaptive.limit").tags("dependency", "search", "layer", "L3").gauge().value()).isEqualTo(1);
            assertThat(registry.get("strata.adaptive.limit.in.flight").gauge().value()).isEqualTo(1);
            try (var scope = Criticality.SHEDDABLE.enter()) {
                assertThatThrownBy(() -> pipeline.execute(() -> "x")).isInstanceOf(AdaptiveLimitExceededException.class);
            }
            limit.onSuccess(Criticality.CRITICAL, held);
            assertThat(registry.get("strata.adaptive.limit.rejected").tags("criticality", "sheddable").functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("strata.adaptive.limit.rejected").tags("criticality", "critical").functionCounter().count())
                    .isZero();
            assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("kind", "bulkhead_full").counter().count()).isEqualTo(1);
            assertThat(registry.get("strata.throttle.probability").gauge().value()).isZero();
            assertThat(registry.get("strata.throttle.rejected").functionCounter().count()).isZero();
        }
    }

    @Test
    void aThrottledRefusalIsCountedAsThrottledNotAsAnOpenCircuit() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdaptiveThrottle throttle = AdaptiveThrottle.builder("search").events(EventBus.detached()).build();
        Pipeline pipeline = Pipeline.builder("search").throttle(throttle).events(EventBus.detached()).build();
        try (StrataMetrics metrics = new StrataMetrics(registry)) {
            metrics.bind(pipeline).bind(throttle);
            int refused = 0;
            for (int i = 0; i < 200; i++) { // every call fails with an overload signal, so the throttle starts refusing
                try {
                    pipeline.execute(() -> {
                        throw new java.net.SocketTimeoutException("read timed out");
                    });
                } catch (ThrottledException e) {
                    refused++;
                } catch (RuntimeException e) {
                    // the dependency's own failure
                }
            }
            assertThat(refused).isPositive();
            assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("kind", "throttled").counter().count()).isEqualTo(refused);
            assertThat(registry.get(StrataMetrics.CALLS_REJECTED).tags("kind", "circuit_open").counter().count()).isZero();
            assertThat(registry.get("strata.throttle.rejected").functionCounter().count()).isEqualTo(refused);
        }
    }
}
