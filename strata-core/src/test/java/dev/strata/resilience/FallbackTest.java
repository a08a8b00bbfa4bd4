package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.fault.FaultKind;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FallbackTest {

    private final TestClock clock = new TestClock();
    private final Events events = new Events();
    private final AtomicInteger remoteCalls = new AtomicInteger();
    private final Map<String, String> cache = new ConcurrentHashMap<>(Map.of("product:123", "Widget"));

    private String remote(String key) throws IOException {
        remoteCalls.incrementAndGet();
        throw new ConnectException("Connection refused");
    }

    private String cached(String key) {
        String value = cache.get(key);
        if (value == null) {
            throw new NoSuchElementException("no cached " + key);
        }
        return value;
    }

    private CircuitBreaker openBreaker() {
        CircuitBreaker breaker = CircuitBreaker.builder("catalog").clock(clock).events(events.bus).build();
        breaker.forceOpen();
        return breaker;
    }

    @Test
    void returnsTheCorrectCachedDataWhenTheCircuitIsOpen() {
        Pipeline p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("product:123"))).build();
        assertThat(p.<String>execute(() -> remote("product:123"))).isEqualTo("Widget");
        assertThat(events.types()).contains("fallback.invoked");
    }

    @Test
    void handlesAMissingCacheEntryGracefullyWithTheNextFallbackInTheChain() {
        Fallback<String> fromCache = Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("product:999"));
        Fallback<String> defaultValue = Fallback.always(cause -> "unknown product");
        Pipeline p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(fromCache.orElse(defaultValue)).build();
        assertThat(p.<String>execute(() -> remote("product:999"))).isEqualTo("unknown product");
    }

    @Test
    void makesNoExternalCalls() {
        AtomicInteger fallbackRuns = new AtomicInteger();
        Pipeline p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .retry(Retry.builder().maxAttempts(3).build())
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> {
                    fallbackRuns.incrementAndGet();
                    return cached("product:123");
                })).build();
        for (int i = 0; i < 10; i++) {
            assertThat(p.<String>execute(() -> remote("product:123"))).isEqualTo("Widget");
        }
        assertThat(remoteCalls).as("the open breaker and the fallback never touch the dependency").hasValue(0);
        assertThat(fallbackRuns).hasValue(10);
        assertThat(clock.sleeps).isEmpty();
    }

    @Test
    void knowsWhyItWasInvoked() {
        Fallback<String> why = Fallback.always(cause -> cause.reason().code() + " on " + cause.dependency());
        Pipeline retried = Pipeline.builder("catalog").retry(Retry.builder().maxAttempts(2).build()).clock(clock)
                .events(events.bus).fallback(why).build();
        assertThat(retried.<String>execute(() -> remote("x"))).isEqualTo("retries-exhausted on catalog");
        Pipeline open = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus).fallback(why).build();
        assertThat(open.<String>execute(() -> remote("x"))).isEqualTo("circuit-open on catalog");
        Bulkhead full = Bulkhead.builder("catalog").maxConcurrentCalls(1).build();
        assertThat(full.tryAcquire()).isTrue();
        Pipeline crowded = Pipeline.builder("catalog").bulkhead(full).clock(clock).events(events.bus).fallback(why).build();
        assertThat(crowded.<String>execute(() -> remote("x"))).isEqualTo("bulkhead-full on catalog");
        Pipeline slow = Pipeline.builder("catalog").timeout(Duration.ofMillis(20)).events(events.bus).fallback(why).build();
        assertThat(slow.<String>execute(() -> {
            Thread.sleep(10_000);
            return "late";
        })).isEqualTo("attempt-timeout on catalog");
    }

    @Test
    void matchesByExceptionTypeIncludingTheCauseOfAWrapper() {
        Pipeline p = Pipeline.builder("catalog").retry(Retry.builder().maxAttempts(2).build()).clock(clock).events(events.bus)
                .fallback(Fallback.on(ConnectException.class, cause -> "offline")).build();
        assertThat(p.<String>execute(() -> remote("x"))).isEqualTo("offline"); // RetriesExhausted caused by ConnectException
        assertThatThrownBy(() -> p.execute(() -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(IllegalStateException.class); // no matching fallback: the failure escapes untouched
    }

    @Test
    void anExceptionThrownByTheFallbackIsReportedNotSwallowed() {
        Pipeline p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("missing"))).build();
        assertThatThrownBy(() -> p.execute(() -> remote("missing")))
                .isInstanceOf(CallNotPermittedException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(NoSuchElementException.class));
        assertThat(events.lines()).anyMatch(l -> l.startsWith("WARN [catalog] fallback for RESILIENCE/circuit-open failed too:")
                && l.contains("no cached missing"));
    }

    @Test
    void aPerCallFallbackIsTypedAndTriedBeforeThePipelines() {
        Pipeline p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.always(cause -> "pipeline default")).build();
        Integer stock = p.execute(CallContext.idempotent("catalog"), () -> 7, Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> -1));
        assertThat(stock).isEqualTo(-1);
    }
}
