package dev.strata.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Layer;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class EventBusTest {

    private static StrataEvent event(Level level) {
        return new BasicEvent(0L, "payments", "breaker.state-changed", Layer.RESILIENCE, level, null,
                "circuit CLOSED -> OPEN");
    }

    @Test
    void listenersUpTheChainSeeEveryEvent() throws Exception {
        EventBus parent = EventBus.detached();
        EventBus child = EventBus.childOf(parent);
        List<StrataEvent> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable ignored = parent.subscribe(seen::add)) {
            child.publish(event(Level.WARNING));
        }
        child.publish(event(Level.WARNING)); // after unsubscribing: not seen
        assertThat(seen).hasSize(1);
    }

    @Test
    void aFailingListenerNeitherPropagatesNorStopsTheOthers() throws Exception {
        EventBus bus = EventBus.detached();
        List<StrataEvent> seen = new CopyOnWriteArrayList<>();
        try (AutoCloseable a = bus.subscribe(e -> { throw new IllegalStateException("listener bug"); });
             AutoCloseable b = bus.subscribe(seen::add)) {
            bus.publish(event(Level.INFO));
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void aDetachedBusWithoutListenersIsInactive() throws Exception {
        EventBus bus = EventBus.detached();
        assertThat(bus.isActive(Level.ERROR)).isFalse();
        try (AutoCloseable ignored = bus.subscribe(e -> { })) {
            assertThat(bus.isActive(Level.DEBUG)).isTrue();
        }
    }

    @Test
    void logLineStartsWithTheShortLevelAndTheDependency() {
        assertThat(event(Level.WARNING).logLine()).isEqualTo("WARN [payments] circuit CLOSED -> OPEN");
        assertThat(event(Level.INFO).logLine()).isEqualTo("INFO [payments] circuit CLOSED -> OPEN");
    }
}
