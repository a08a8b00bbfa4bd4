package dev.strata.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.Criticality;
import dev.strata.micrometer.StrataMetrics;
import dev.strata.observe.EventBus;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveThrottle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The L3 panel row of a dependency with an adaptive limit and a throttle. */
class DashboardOverloadRowTest {

    @Test
    void theL3RowShowsInFlightOverTheAdaptiveLimitAndTheThrottledShare() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdaptiveLimit limit = AdaptiveLimit.builder("payments").initialLimit(17).events(EventBus.detached()).build();
        AdaptiveThrottle throttle = AdaptiveThrottle.builder("payments").events(EventBus.detached()).build();
        long held = limit.tryAcquire(Criticality.CRITICAL);
        try (StrataMetrics metrics = new StrataMetrics(registry).bind(limit).bind(throttle);
             DashboardFeed feed = DashboardFeed.start(registry, Map::of, List::of, Duration.ofMillis(20))) {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!feed.latest().contains("\"limit\":\"adaptive\"") && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(feed.latest()).contains("\"name\":\"payments\"", "\"bulkheadActive\":1", "\"bulkheadMax\":17",
                    "\"limit\":\"adaptive\"", "\"throttle\":0");
        } finally {
            limit.onIgnored(Criticality.CRITICAL, held);
        }
    }
}
