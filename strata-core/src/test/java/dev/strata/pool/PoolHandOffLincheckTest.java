package dev.strata.pool;

import dev.strata.fault.FaultKind;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import java.time.Duration;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, structure: the pool's hand-off explored interleaving by interleaving (Lincheck's model
 * checker), not only by timing. Borrow-and-return, borrow-hold-return and close on a one-resource
 * pool, so every borrower beyond the first goes through the waiter line, the offer to the longest
 * waiter and the wake-ups. Each result must be explainable by some serial order (a borrow gives a
 * resource, or fails as closed after close), no interleaving may hang or throw anything else, and
 * afterwards nothing is lent, the pool is within its size and, once closed, every resource is closed.
 */
public class PoolHandOffLincheckTest {

    private final CountingFactory factory = new CountingFactory();
    private final Pool<CountingFactory.Resource> pool = Pool.openWithoutHousekeeper(PoolConfig.builder("lincheck").maxSize(1)
            .acquisitionTimeout(Duration.ofSeconds(30)).keepaliveInterval(Duration.ZERO).noValidation()
            .events(EventBus.detached()).build(), factory);

    /** 1 when a resource was borrowed and given back, 2 when the pool was closed. */
    @Operation
    public int borrowAndReturn() {
        try (Lease<CountingFactory.Resource> lease = pool.acquire()) {
            return lease.get() == null ? 0 : 1;
        } catch (StrataException closed) {
            return closed.kind() == FaultKind.RESOURCE_CLOSED ? 2 : -1;
        }
    }

    /** Same, but the lease crosses a scheduling point while held, so a waiter parks meanwhile. */
    @Operation
    public int borrowYieldReturn() {
        try (Lease<CountingFactory.Resource> lease = pool.acquire()) {
            Thread.yield();
            return lease.get() == null ? 0 : 1;
        } catch (StrataException closed) {
            return closed.kind() == FaultKind.RESOURCE_CLOSED ? 2 : -1;
        }
    }

    @Operation
    public void close() {
        pool.close();
    }

    @Validate
    public void nothingLentNothingLeaked() {
        PoolStats stats = pool.stats();
        if (stats.active() != 0 || stats.total() > 1 || stats.waiting() != 0) {
            throw new IllegalStateException("after the scenario: " + stats);
        }
        if (pool.isClosed() && factory.live.get() != 0) {
            throw new IllegalStateException("closed, yet " + factory.live.get() + " resource(s) still open");
        }
    }

    @Test
    public void borrowReturnAndCloseAreLinearizableAndLeaveNothingBehind() {
        // Small on purpose: it runs in every ./mvnw verify (its own JVM, see the pom).
        new ModelCheckingOptions().iterations(6).invocationsPerIteration(80).threads(2).actorsPerThread(2)
                .check(PoolHandOffLincheckTest.class);
    }
}
