package dev.strata.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fault.Layer;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.lang.System.Logger.Level;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 (logs): events are logged through one logger per layer and dependency
 * ({@code dev.strata.resilience.payments}) so users can tune them, one line each, at the level of
 * their consequence, and identical repeats are folded into a count in the log while every event
 * still reaches the listeners. Captures what the JDK's default backend (java.util.logging) receives.
 */
class EventLoggingTest {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final List<Logger> attached = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private Logger capture(String name) {
        Logger logger = Logger.getLogger(name);
        logger.addHandler(capture);
        logger.setUseParentHandlers(false); // keep the test's output quiet
        attached.add(logger);
        return logger;
    }

    @AfterEach
    void detach() {
        for (Logger logger : attached) {
            logger.removeHandler(capture);
            logger.setUseParentHandlers(true);
            logger.setLevel(null);
        }
    }

    private static BasicEvent event(String dependency, String type, Level level, String message) {
        return new BasicEvent(System.currentTimeMillis(), dependency, type, Layer.RESILIENCE, level, null, message);
    }

    private List<String> messages() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    @Test
    void eventsGoToTheLoggerOfTheirLayerAndDependency() {
        capture("dev.strata.resilience.payments-log-a");
        EventBus.root().publish(event("payments-log-a", "breaker.state-changed", Level.WARNING, "circuit CLOSED -> OPEN"));
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.getLoggerName()).isEqualTo("dev.strata.resilience.payments-log-a");
            assertThat(r.getMessage()).isEqualTo("[payments-log-a] circuit CLOSED -> OPEN").doesNotContain("\n");
        });
    }

    @Test
    void oneDependencyCanBeSilencedWithoutTheOthers() {
        capture("dev.strata.resilience.noisy-log-b").setLevel(java.util.logging.Level.SEVERE);
        capture("dev.strata.resilience.quiet-log-b");
        EventBus.root().publish(event("noisy-log-b", "fallback.invoked", Level.INFO, "fallback invoked"));
        EventBus.root().publish(event("quiet-log-b", "fallback.invoked", Level.INFO, "fallback invoked"));
        assertThat(messages()).containsExactly("[quiet-log-b] fallback invoked");
    }

    @Test
    void identicalRepeatsAreOneLineWithACountAndEveryEventReachesListeners() throws Exception {
        capture("dev.strata.resilience.catalog-log-c");
        EventBus bus = EventBus.create();
        AtomicInteger heard = new AtomicInteger();
        try (AutoCloseable ignored = bus.subscribe(e -> heard.incrementAndGet())) {
            for (int i = 0; i < 235; i++) {
                bus.publish(event("catalog-log-c", "fallback.invoked", Level.INFO, "fallback invoked for RESILIENCE/circuit-open"));
            }
            bus.publish(event("catalog-log-c", "breaker.state-changed", Level.INFO, "circuit OPEN -> HALF_OPEN"));
        }
        assertThat(heard).as("no event dropped from the stream").hasValue(236);
        assertThat(messages()).hasSize(3);
        assertThat(messages().get(0)).isEqualTo("[catalog-log-c] fallback invoked for RESILIENCE/circuit-open");
        assertThat(messages().get(1)).matches("\\[catalog-log-c] fallback invoked for RESILIENCE/circuit-open \\(x234 more in .+\\)");
        assertThat(messages().get(2)).isEqualTo("[catalog-log-c] circuit OPEN -> HALF_OPEN");
    }

    @Test
    void aFailedAttemptWhoseRetrySucceedsIsNotAWarningButTheFinalFailureIs() {
        capture("dev.strata.resilience.payments-log-d");
        Retry retry = Retry.builder().maxAttempts(2).backoff(Backoff.fixed(Duration.ofMillis(1))).build();
        Pipeline p = Pipeline.builder("payments-log-d").retry(retry).build();
        AtomicInteger calls = new AtomicInteger();
        p.execute(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new SocketException("Connection reset");
            }
            return "ok";
        });
        assertThat(records).isNotEmpty().allSatisfy(r -> assertThat(r.getLevel().intValue())
                .as(r.getMessage()).isLessThan(java.util.logging.Level.WARNING.intValue()));
        records.clear();
        try {
            p.execute(() -> {
                throw new SocketException("Connection reset");
            });
        } catch (RuntimeException expected) {
            // the final failure
        }
        assertThat(records).anySatisfy(r -> {
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            assertThat(r.getMessage()).contains("giving up");
        });
        assertThat(records).filteredOn(r -> r.getMessage().contains("retrying in"))
                .allSatisfy(r -> assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.INFO));
    }
}
