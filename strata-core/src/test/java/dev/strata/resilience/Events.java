package dev.strata.resilience;

import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A detached bus that keeps what is published, for assertions. */
final class Events {

    final EventBus bus = EventBus.detached();
    final List<StrataEvent> seen = new CopyOnWriteArrayList<>();

    Events() {
        bus.subscribe(seen::add);
    }

    List<String> types() {
        return seen.stream().map(StrataEvent::type).toList();
    }

    List<String> lines() {
        return seen.stream().map(StrataEvent::logLine).toList();
    }
}
