package dev.strata.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.RetriesExhaustedException;
import dev.strata.resilience.Retry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** FaultInjection held innermost by a real {@link Pipeline}: the drill exercises the retry around it. */
class FaultInjectionPipelineTest {

    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final EventBus bus = EventBus.detached();
    private final ManualClock clock = new ManualClock();

    FaultInjectionPipelineTest() {
        bus.subscribe(events::add);
    }

    @Test
    void injectedResetsAreRetriedAndEveryAttemptIsADrill() {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).clock(clock)
                .failures(1.0, FaultKind.CONNECTION_RESET).build();
        Pipeline pipeline = Pipeline.builder("payments").clock(clock).events(bus)
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).build())
                .interceptor(chaos).build();
        AtomicInteger realCalls = new AtomicInteger();
        assertThatThrownBy(() -> pipeline.execute(CallContext.idempotent("payments"), realCalls::incrementAndGet))
                .isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.lastFault().kind()).isEqualTo(FaultKind.CONNECTION_RESET);
                });
        assertThat(realCalls).as("the drill replaced every attempt").hasValue(0);
        assertThat(events).filteredOn(event -> event.type().equals("chaos.injected-fault")).hasSize(3);
    }

    @Test
    void aSeededPartialDrillLetsRetriesWin() {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).clock(clock).seed(11)
                .failures(0.5).build();
        Pipeline pipeline = Pipeline.builder("inventory").clock(clock).events(bus)
                .retry(Retry.builder().maxAttempts(10).backoff(Backoff.fixed(Duration.ofMillis(1))).build())
                .interceptor(chaos).build();
        for (int i = 0; i < 20; i++) {
            assertThat(pipeline.execute(CallContext.idempotent("inventory"), () -> "stock")).isEqualTo("stock");
        }
        assertThat(events).filteredOn(event -> event.type().equals("chaos.injected-fault")).isNotEmpty();
    }
}
