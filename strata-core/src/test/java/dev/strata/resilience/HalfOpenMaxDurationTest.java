package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 11: a probe that never answers (no timeout, hung) must not keep the breaker
 * half-open, refusing every caller, forever: after {@code maxHalfOpenDuration} it opens again and
 * a new probe is admitted after the open wait.
 */
class HalfOpenMaxDurationTest {

    private final ManualClock clock = new ManualClock();
    private final Events events = new Events();

    private CircuitBreaker.Builder breaker() {
        return CircuitBreaker.builder("payments").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(1)
                .openWait(Duration.ofSeconds(1)).clock(clock).events(events.bus);
    }

    private static void open(CircuitBreaker cb) {
        assertThat(cb.tryAcquirePermission()).isTrue();
        cb.onFailure(1_000L, Fault.of(FaultKind.CONNECTION_RESET));
    }

    @Test
    void aHungProbeDoesNotKeepTheBreakerHalfOpenPastItsMaximum() {
        CircuitBreaker cb = breaker().maxHalfOpenDuration(Duration.ofSeconds(5)).build();
        open(cb);
        clock.advance(Duration.ofSeconds(2));
        long hungProbe = cb.tryAcquirePermit();
        assertThat(hungProbe).isNotEqualTo(CircuitBreaker.NOT_PERMITTED);
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);

        clock.advance(Duration.ofSeconds(4));
        assertThat(cb.tryAcquirePermission()).as("within the maximum the probe's slot stays taken").isFalse();
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);

        clock.advance(Duration.ofSeconds(2)); // 6 s half-open > 5 s
        assertThat(cb.tryAcquirePermission()).isFalse();
        assertThat(cb.state()).as("gave up on the hung probe").isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(events.lines()).anySatisfy(line -> assertThat(line).contains("maxHalfOpenDuration"));

        clock.advance(Duration.ofSeconds(10));
        long freshProbe = cb.tryAcquirePermit();
        assertThat(freshProbe).as("a new probe after the open wait").isNotEqualTo(CircuitBreaker.NOT_PERMITTED);
        cb.onSuccess(freshProbe, 1_000L);
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        cb.onFailure(hungProbe, 1_000L, Fault.of(FaultKind.READ_TIMEOUT)); // the hung probe finally answers: too late to count
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void defaultMaximumIsSixtySeconds() {
        CircuitBreaker cb = breaker().build();
        open(cb);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cb.tryAcquirePermission()).isTrue();
        clock.advance(Duration.ofSeconds(59));
        assertThat(cb.tryAcquirePermission()).isFalse();
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cb.tryAcquirePermission()).isFalse();
        assertThat(cb.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void maxHalfOpenDurationOutOfRangeIsRefusedNamingTheField() {
        assertThatThrownBy(() -> breaker().maxHalfOpenDuration(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHalfOpenDuration");
    }
}
