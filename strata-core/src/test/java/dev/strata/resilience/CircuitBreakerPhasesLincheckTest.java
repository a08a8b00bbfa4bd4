package dev.strata.resilience;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, structure: the breaker's phase changes (closed, open, half-open) with their permits,
 * explored interleaving by interleaving by Lincheck's model checker. Calls succeed or fail (a
 * connection fault, which the breaker records) while the clock moves past the open wait; a
 * half-open breaker lends one probe permit. Half-open permits limit concurrency, so results are
 * not compared against a serial order; what is checked is that no interleaving throws anything
 * but a rejection, hangs, or leaves the breaker wedged: afterwards, once the open wait has passed,
 * a successful call is let through and closes it (a leaked probe permit would reject it forever).
 */
public class CircuitBreakerPhasesLincheckTest {

    private static final Duration OPEN_WAIT = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock();
    private final CircuitBreaker breaker = CircuitBreaker.builder("lincheck")
            .mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(1).halfOpenPermits(1)
            .openWait(OPEN_WAIT).clock(clock).events(EventBus.detached()).build();

    @Operation(nonParallelGroup = "clock")
    public void openWaitPasses() {
        clock.advance(OPEN_WAIT.plusMillis(1));
    }

    @Operation
    public void succeed() throws Exception {
        run(() -> "ok");
    }

    @Operation
    public void fail() throws Exception {
        run(() -> {
            throw new SQLTransientConnectionException("connection refused", "08001");
        });
    }

    private void run(java.util.concurrent.Callable<String> call) throws Exception {
        try {
            breaker.execute(call);
        } catch (CallNotPermittedException rejected) {
            // open, or the half-open probe is taken: a rejection is a legal outcome
        } catch (SQLTransientConnectionException expected) {
            // the failing call's own failure
        }
    }

    @Validate
    public void notWedged() throws Exception {
        for (int i = 0; i < 3 && breaker.state() != CircuitBreaker.State.CLOSED; i++) {
            clock.advance(Duration.ofMinutes(10)); // past any open wait, however it grew
            try {
                breaker.execute(() -> "probe");
            } catch (CallNotPermittedException rejected) {
                // tried again below
            }
        }
        if (breaker.state() != CircuitBreaker.State.CLOSED) {
            throw new IllegalStateException("a successful probe after the open wait did not close the breaker: " + breaker);
        }
    }

    @Test
    public void phaseChangesWithPermitsNeverWedgeTheBreaker() {
        new ModelCheckingOptions().iterations(6).invocationsPerIteration(80).threads(2).actorsPerThread(2)
                .check(CircuitBreakerPhasesLincheckTest.class);
    }
}
