package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    RetryBudgetTest() {
        bus.subscribe(events::add);
    }

    private RetryBudget.Builder budget() {
        return RetryBudget.builder().clock(clock).events(bus).name("payments");
    }

    private static int withdrawAll(RetryBudget budget) {
        int n = 0;
        while (budget.tryWithdraw()) {
            n++;
        }
        return n;
    }

    @Test
    void retriesAreLimitedToThePercentageOfCalls() {
        RetryBudget budget = budget().retryPercent(0.2).minRetriesPerSecond(0).build();
        for (int i = 0; i < 100; i++) {
            budget.onCall();
        }
        assertThat(budget.available()).isEqualTo(20.0);
        assertThat(withdrawAll(budget)).isEqualTo(20);
        assertThat(budget.available()).isZero();
    }

    @Test
    void theFloorAllowsRetriesWithoutTraffic() {
        RetryBudget budget = budget().retryPercent(0.2).minRetriesPerSecond(2).ttl(Duration.ofSeconds(10)).build();
        assertThat(withdrawAll(budget)).isEqualTo(20); // 2/s over a 10 s window
    }

    @Test
    void depositsAndWithdrawalsExpireAfterTheTtl() {
        RetryBudget budget = budget().retryPercent(0.5).minRetriesPerSecond(0).ttl(Duration.ofSeconds(5)).build();
        for (int i = 0; i < 10; i++) {
            budget.onCall();
        }
        clock.advance(Duration.ofSeconds(4));
        assertThat(budget.available()).isEqualTo(5.0);
        clock.advance(Duration.ofSeconds(1));
        assertThat(budget.available()).as("deposits older than the ttl are gone").isZero();
        assertThat(budget.tryWithdraw()).isFalse();

        RetryBudget floor = budget().minRetriesPerSecond(1).ttl(Duration.ofSeconds(3)).retryPercent(0.0).build();
        assertThat(withdrawAll(floor)).isEqualTo(3);
        clock.advance(Duration.ofSeconds(1));
        assertThat(withdrawAll(floor)).as("one second's withdrawals aged out").isZero();
        clock.advance(Duration.ofSeconds(2));
        assertThat(withdrawAll(floor)).isEqualTo(3);
    }

    @Test
    void fractionalDepositsAddUp() {
        RetryBudget budget = budget().retryPercent(0.1).minRetriesPerSecond(0).build();
        for (int i = 0; i < 9; i++) {
            budget.onCall();
        }
        assertThat(budget.tryWithdraw()).isFalse();
        budget.onCall();
        assertThat(budget.tryWithdraw()).isTrue();
        assertThat(budget.tryWithdraw()).isFalse();
    }

    @Test
    void exhaustionIsAnnouncedOnceUntilTheBudgetRecovers() {
        RetryBudget budget = budget().retryPercent(1.0).minRetriesPerSecond(0).build();
        assertThat(budget.tryWithdraw()).isFalse();
        assertThat(budget.tryWithdraw()).isFalse();
        budget.onCall();
        assertThat(budget.tryWithdraw()).isTrue();
        assertThat(budget.tryWithdraw()).isFalse();

        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.type()).isEqualTo("retry-budget.exhausted");
            assertThat(e.fault().kind()).isEqualTo(FaultKind.RETRY_BUDGET_EXHAUSTED);
            assertThat(e.logLine()).isEqualTo(
                    "WARN [payments] retry budget exhausted: retries limited to 100% of calls + 0/s over 10.0s");
        });
    }

    @Test
    void concurrentWithdrawalsNeverExceedTheBudgetUnder32Callers() throws Exception {
        RetryBudget budget = budget().retryPercent(0.25).minRetriesPerSecond(1).ttl(Duration.ofSeconds(10)).build();
        for (int i = 0; i < 400; i++) {
            budget.onCall();
        }
        AtomicInteger granted = new AtomicInteger();
        Concurrently.run(32, i -> {
            for (int n = 0; n < 20; n++) {
                if (budget.tryWithdraw()) {
                    granted.incrementAndGet();
                }
            }
        });
        // 25% of 400 calls + 1/s over 10 s; optimistic refunds may refuse a few under contention, never grant extra
        assertThat(granted.get()).isLessThanOrEqualTo(110).isGreaterThan(0);
        assertThat(budget.available()).isEqualTo(110.0 - granted.get());
    }

    @Test
    void invalidConfigurationNamesFieldValueAndRange() {
        assertThatThrownBy(() -> RetryBudget.builder().retryPercent(1.2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retryPercent: 1.2 is out of range; allowed 0.0..1.0");
        assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(-1).build())
                .hasMessage("minRetriesPerSecond: -1 is out of range; allowed 0..10000");
        assertThatThrownBy(() -> RetryBudget.builder().ttl(Duration.ofMinutes(5)).build())
                .hasMessage("ttl: 5m00s is out of range; allowed 1.00s..1m00s");
        assertThatThrownBy(() -> RetryBudget.builder().ttl(Duration.ofMillis(1500)).build())
                .hasMessage("ttl: 1.50s is not allowed; must be whole seconds in 1s..60s");
    }
}
