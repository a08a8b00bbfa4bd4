package dev.strata.call;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.call.internal.CallState;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CallStateTest {

    private final ManualClock clock = new ManualClock();

    @Test
    void holdsTheCurrentContextAndDeadlineAndRestoresBothWhenScopesClose() {
        CallState state = CallState.current();
        assertThat(state.context()).isNull();
        assertThat(state.deadline()).isNull();

        CallContext outerContext = CallContext.idempotent("orders");
        CallContext innerContext = CallContext.nonIdempotent("orders", "key-1");
        Deadline outer = Deadline.after(Duration.ofSeconds(5), clock);
        Deadline inner = Deadline.after(Duration.ofSeconds(1), clock);
        try (Deadline.Scope c1 = outerContext.enter(); Deadline.Scope d1 = outer.enter()) {
            assertThat(state.context()).isSameAs(outerContext).isSameAs(CallContext.current());
            assertThat(state.deadline()).isSameAs(outer).isSameAs(Deadline.current());
            try (Deadline.Scope c2 = innerContext.enter(); Deadline.Scope d2 = inner.enter()) {
                assertThat(state.context()).isSameAs(innerContext);
                assertThat(state.deadline()).isSameAs(inner);
            }
            assertThat(state.context()).isSameAs(outerContext);
            assertThat(state.deadline()).isSameAs(outer);
        }
        assertThat(state.context()).isNull();
        assertThat(state.deadline()).isNull();
        assertThat(CallState.current()).isSameAs(state);
    }

    @Test
    void eachThreadHasItsOwnState() throws Exception {
        AtomicReference<CallState> seen = new AtomicReference<>();
        AtomicReference<Deadline> seenDeadline = new AtomicReference<>(Deadline.after(Duration.ofSeconds(1), clock));
        try (Deadline.Scope ignored = Deadline.after(Duration.ofSeconds(5), clock).enter()) {
            Thread other = Thread.ofVirtual().start(() -> {
                seen.set(CallState.current());
                seenDeadline.set(Deadline.current());
            });
            other.join(Duration.ofSeconds(10));
            assertThat(other.isAlive()).isFalse();
            assertThat(seen.get()).isNotNull().isNotSameAs(CallState.current());
            assertThat(seenDeadline.get()).isNull();
        }
    }
}
