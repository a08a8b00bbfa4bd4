package dev.strata.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {

    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final EventBus bus = EventBus.detached();
    private final ManualClock clock = new ManualClock();
    private final CallContext payments = CallContext.idempotent("payments");
    private final CallContext inventory = CallContext.idempotent("inventory");

    FaultInjectionTest() {
        bus.subscribe(events::add);
    }

    @Test
    void offByDefaultAndWithAnEmptyEnvironment() throws Exception {
        for (FaultInjection off : List.of(FaultInjection.disabled(), FaultInjection.fromEnvironment(Map.of()),
                FaultInjection.builder().failures(1.0).events(bus).build())) {
            assertThat(off.isEnabled()).isFalse();
            AtomicInteger calls = new AtomicInteger();
            assertThat(off.intercept(payments, () -> "real-" + calls.incrementAndGet())).isEqualTo("real-1");
        }
        assertThat(events).isEmpty();
    }

    @Test
    void injectsTheChosenFaultKindAsAStrataExceptionAndAnnouncesTheDrill() {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).clock(clock)
                .failures(1.0, FaultKind.CONNECTION_RESET).build();
        AtomicInteger realCalls = new AtomicInteger();
        assertThatThrownBy(() -> chaos.intercept(payments, realCalls::incrementAndGet))
                .isInstanceOfSatisfying(StrataException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FaultKind.CONNECTION_RESET);
                    assertThat(e.layer()).isEqualTo(Layer.NETWORK);
                    assertThat(e.dependency()).isEqualTo("payments");
                    assertThat(e.getMessage()).contains("CHAOS drill");
                });
        assertThat(realCalls).hasValue(0);
        assertThat(events).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo("chaos.injected-fault");
            assertThat(event.fault().kind()).isEqualTo(FaultKind.CONNECTION_RESET);
            assertThat(event.logLine()).isEqualTo("WARN [payments] CHAOS drill: injected NETWORK/connection-reset (rate 1.00)");
        });
    }

    @Test
    void theDefaultKindIsInjected() {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).failures(1.0).build();
        assertThatThrownBy(() -> chaos.intercept(payments, () -> 1))
                .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.kind()).isEqualTo(FaultKind.INJECTED));
    }

    @Test
    void aSeedMakesTheDrillRepeatableAndTheRateHolds() throws Exception {
        List<Boolean> first = outcomes(FaultInjection.builder().enabled(true).seed(7).failures(0.3).events(bus).build());
        List<Boolean> second = outcomes(FaultInjection.builder().enabled(true).seed(7).failures(0.3).events(bus).build());
        assertThat(first).isEqualTo(second);
        long failures = first.stream().filter(failed -> failed).count();
        assertThat(failures).isBetween(240L, 360L); // 30% of 1000, wide margin
    }

    /** A seeded drill that fails, delays (0..100 ms on the manual clock) and replaces results. */
    private FaultInjection mixedDrill(long seed, ManualClock time) {
        return FaultInjection.builder().enabled(true).seed(seed).events(bus).clock(time)
                .failures(0.3).latency(Duration.ZERO, Duration.ofMillis(100)).latencyRate(0.5)
                .replaceResult(0.2, () -> "replaced").build();
    }

    /** What one call saw: the fault, the replacement or the real result, and the injected delay. */
    private static String observe(FaultInjection chaos, CallContext context, ManualClock time) throws Exception {
        Duration before = time.slept();
        String outcome;
        try {
            outcome = chaos.intercept(context, () -> "real");
        } catch (StrataException injected) {
            outcome = "fault";
        }
        return outcome + "+" + time.slept().minus(before).toNanos();
    }

    @Test
    void trafficToOtherDependenciesDoesNotShiftADependencysSequence() throws Exception {
        ManualClock aloneClock = new ManualClock();
        FaultInjection alone = mixedDrill(42, aloneClock);
        List<String> paymentsAlone = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            paymentsAlone.add(observe(alone, payments, aloneClock));
        }
        ManualClock inventoryClock = new ManualClock();
        FaultInjection inventoryOnly = mixedDrill(42, inventoryClock);
        List<String> inventoryAlone = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            inventoryAlone.add(observe(inventoryOnly, inventory, inventoryClock));
        }

        ManualClock sharedClock = new ManualClock();
        FaultInjection interleaved = mixedDrill(42, sharedClock);
        List<String> paymentsInterleaved = new ArrayList<>();
        List<String> inventoryInterleaved = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            // an uneven mix: 0 to 3 inventory calls between payments calls
            for (int k = 0; k < i % 4; k++) {
                inventoryInterleaved.add(observe(interleaved, inventory, sharedClock));
            }
            paymentsInterleaved.add(observe(interleaved, payments, sharedClock));
        }

        assertThat(paymentsInterleaved).isEqualTo(paymentsAlone);
        assertThat(inventoryInterleaved).isEqualTo(inventoryAlone.subList(0, inventoryInterleaved.size()));
        // every kind of decision was exercised, so the equality above means something
        assertThat(paymentsAlone).anyMatch(o -> o.startsWith("fault")).anyMatch(o -> o.startsWith("replaced"))
                .anyMatch(o -> o.startsWith("real+0")).anyMatch(o -> o.startsWith("real+") && !o.equals("real+0"));
    }

    @Test
    void theSameSeedAgreesPerDependencyAndDependenciesGetTheirOwnStreams() throws Exception {
        ManualClock first = new ManualClock();
        ManualClock second = new ManualClock();
        ManualClock other = new ManualClock();
        FaultInjection one = mixedDrill(7, first);
        FaultInjection two = mixedDrill(7, second);
        FaultInjection otherSeed = mixedDrill(8, other);
        List<String> oneSaw = new ArrayList<>();
        List<String> twoSaw = new ArrayList<>();
        List<String> otherSaw = new ArrayList<>();
        List<String> inventorySaw = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            oneSaw.add(observe(one, payments, first));
            twoSaw.add(observe(two, payments, second));
            otherSaw.add(observe(otherSeed, payments, other));
            inventorySaw.add(observe(one, inventory, first));
        }
        assertThat(twoSaw).isEqualTo(oneSaw);
        assertThat(otherSaw).as("another seed, another drill").isNotEqualTo(oneSaw);
        assertThat(inventorySaw).as("another dependency, its own stream").isNotEqualTo(oneSaw);
    }

    @Test
    void concurrentTrafficToOneDependencyLeavesAnothersSequenceAlone() throws Exception {
        List<Boolean> sequential = outcomes(FaultInjection.builder().enabled(true).seed(5).failures(0.3).events(bus).build());

        FaultInjection chaos = FaultInjection.builder().enabled(true).seed(5).failures(0.3).events(bus).build();
        AtomicInteger inventoryFaults = new AtomicInteger();
        List<Thread> noise = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            noise.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 500; i++) {
                    try {
                        chaos.intercept(inventory, () -> "ok");
                    } catch (StrataException injected) {
                        inventoryFaults.incrementAndGet();
                    } catch (Exception unexpected) {
                        throw new AssertionError(unexpected);
                    }
                }
            }));
        }
        List<Boolean> underNoise = outcomes(chaos);
        for (Thread thread : noise) {
            assertThat(thread.join(Duration.ofSeconds(30))).as("noise thread ended").isTrue();
        }
        assertThat(underNoise).isEqualTo(sequential);

        // and the 2000 concurrent inventory calls took exactly the first 2000 numbers of
        // inventory's sequence, so they saw exactly as many faults as a lone caller would
        FaultInjection lone = FaultInjection.builder().enabled(true).seed(5).failures(0.3).events(bus).build();
        int loneFaults = 0;
        for (int i = 0; i < 2000; i++) {
            try {
                lone.intercept(inventory, () -> "ok");
            } catch (StrataException injected) {
                loneFaults++;
            }
        }
        assertThat(inventoryFaults).hasValue(loneFaults);
    }

    private List<Boolean> outcomes(FaultInjection chaos) throws Exception {
        List<Boolean> result = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            try {
                chaos.intercept(payments, () -> "ok");
                result.add(false);
            } catch (StrataException injected) {
                result.add(true);
            }
        }
        return result;
    }

    @Test
    void fixedAndRangedLatencySleepOnTheClock() throws Exception {
        FaultInjection fixed = FaultInjection.builder().enabled(true).events(bus).clock(clock)
                .latency(Duration.ofMillis(200)).build();
        assertThat(fixed.intercept(payments, () -> "late")).isEqualTo("late");
        assertThat(clock.slept()).isEqualTo(Duration.ofMillis(200));

        ManualClock ranged = new ManualClock();
        FaultInjection range = FaultInjection.builder().enabled(true).events(bus).clock(ranged).seed(3)
                .latency(Duration.ofMillis(50), Duration.ofMillis(100)).build();
        Duration before = Duration.ZERO;
        for (int i = 0; i < 50; i++) {
            range.intercept(payments, () -> 1);
            Duration step = ranged.slept().minus(before);
            assertThat(step).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
            before = ranged.slept();
        }
        assertThat(events).extracting(StrataEvent::type).contains("chaos.injected-latency");
    }

    @Test
    void injectedLatencyNeverSleepsPastTheDeadline() {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).clock(clock)
                .latency(Duration.ofSeconds(2)).build();
        AtomicInteger realCalls = new AtomicInteger();
        try (Deadline.Scope ignored = Deadline.after(Duration.ofMillis(300), clock).enter()) {
            assertThatThrownBy(() -> chaos.intercept(payments, realCalls::incrementAndGet))
                    .isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.kind()).isEqualTo(FaultKind.DEADLINE_EXCEEDED));
        }
        assertThat(clock.slept()).isEqualTo(Duration.ofMillis(300));
        assertThat(realCalls).hasValue(0);
    }

    @Test
    void replacesTheResult() throws Exception {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus)
                .replaceResult(1.0, () -> "stale cache entry").build();
        assertThat(chaos.intercept(payments, () -> "fresh")).isEqualTo("stale cache entry");
        assertThat(events).extracting(StrataEvent::type).containsExactly("chaos.replaced-result");
    }

    @Test
    void perDependencyRulesOverrideTheDefaults() throws Exception {
        FaultInjection chaos = FaultInjection.builder().enabled(true).events(bus).clock(clock)
                .failures(0.0, FaultKind.READ_TIMEOUT)
                .dependency("payments", rule -> rule.failures(1.0))
                .build();
        assertThatThrownBy(() -> chaos.intercept(payments, () -> 1))
                .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.kind()).isEqualTo(FaultKind.READ_TIMEOUT));
        assertThat(chaos.intercept(inventory, () -> "untouched")).isEqualTo("untouched");
    }

    @Test
    void environmentSwitchesTheDrillOnPerDependency() throws Exception {
        FaultInjection chaos = FaultInjection.fromEnvironment(Map.of(
                "STRATA_CHAOS_ENABLED", "true",
                "STRATA_CHAOS_FAULT", "connection-reset",
                "STRATA_CHAOS_PAYMENTS_FAILURE_RATE", "1.0",
                "STRATA_CHAOS_LATENCY_MS", "100",
                "STRATA_CHAOS_INVENTORY_LATENCY_MS", "0",
                "STRATA_CHAOS_SEED", "1",
                "PATH", "/usr/bin"));
        assertThat(chaos.isEnabled()).isTrue();
        // Drills built from the environment publish on the root bus; listen there for the latency events.
        List<String> latencyFor = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AutoCloseable ignored = dev.strata.observe.EventBus.root().subscribe(e -> {
            if (e.type().equals("chaos.injected-latency")) {
                latencyFor.add(e.dependency());
            }
        })) {
            // payments: 100 ms of real latency from the defaults, then the fault
            assertThatThrownBy(() -> chaos.intercept(payments, () -> 1))
                    .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.kind()).isEqualTo(FaultKind.CONNECTION_RESET));
            assertThat(chaos.intercept(inventory, () -> "fine")).isEqualTo("fine");
        }
        assertThat(latencyFor).as("inventory overrides latency to 0").containsExactly("payments");
    }

    @Test
    void environmentCanLimitTheDrillToSomeDependencies() throws Exception {
        FaultInjection chaos = FaultInjection.fromEnvironment(Map.of(
                "STRATA_CHAOS_ENABLED", "1",
                "STRATA_CHAOS_FAILURE_RATE", "1",
                "STRATA_CHAOS_DEPENDENCIES", "payments, search-api"));
        assertThatThrownBy(() -> chaos.intercept(payments, () -> 1)).isInstanceOf(StrataException.class);
        assertThatThrownBy(() -> chaos.intercept(CallContext.idempotent("search-api"), () -> 1)).isInstanceOf(StrataException.class);
        assertThat(chaos.intercept(inventory, () -> "spared")).isEqualTo("spared");
    }

    @Test
    void badEnvironmentValuesNameTheVariable() {
        assertThatThrownBy(() -> FaultInjection.fromEnvironment(Map.of("STRATA_CHAOS_FAILURE_RATE", "1.5")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_CHAOS_FAILURE_RATE").hasMessageContaining("0.0..1.0");
        assertThatThrownBy(() -> FaultInjection.fromEnvironment(Map.of("STRATA_CHAOS_ENABLED", "yes please")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_CHAOS_ENABLED");
        assertThatThrownBy(() -> FaultInjection.fromEnvironment(Map.of("STRATA_CHAOS_FAULT", "gremlins")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_CHAOS_FAULT");
        assertThatThrownBy(() -> FaultInjection.fromEnvironment(Map.of("STRATA_CHAOS_LATENCY_MS", "200-50")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_CHAOS_LATENCY_MS");
        assertThatThrownBy(() -> FaultInjection.fromEnvironment(Map.of("STRATA_CHAOS_PAYMENTS_COLOUR", "red")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("STRATA_CHAOS_PAYMENTS_COLOUR");
        assertThatThrownBy(() -> FaultInjection.builder().failures(-0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failureRate");
    }
}
