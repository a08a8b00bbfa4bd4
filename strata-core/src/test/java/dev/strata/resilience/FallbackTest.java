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
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("product:123"))).build();
        assertThat(p.execute(() -> remote("product:123"))).isEqualTo("Widget");
        assertThat(events.types()).contains("fallback.invoked");
    }

    @Test
    void handlesAMissingCacheEntryGracefullyWithTheNextFallbackInTheChain() {
        Fallback<String> fromCache = Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("product:999"));
        Fallback<String> defaultValue = Fallback.always(cause -> "unknown product");
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(fromCache.orElse(defaultValue)).build();
        assertThat(p.execute(() -> remote("product:999"))).isEqualTo("unknown product");
        assertThat(events.seen).filteredOn(e -> e.type().equals("fallback.failed")).singleElement()
                .satisfies(e -> {
                    assertThat(e.level()).isEqualTo(System.Logger.Level.WARNING);
                    assertThat(e.logLine()).contains("no cached product:999").contains("a later fallback in the chain answered");
                });
    }

    @Test
    void anErrorThrownByAFallbackEscapesAtOnceAndNoLaterFallbackRuns() {
        AtomicInteger laterFallbackCalls = new AtomicInteger();
        Fallback<String> broken = Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> {
            throw new OutOfMemoryError("simulated");
        });
        Fallback<String> defaultValue = Fallback.always(cause -> {
            laterFallbackCalls.incrementAndGet();
            return "unknown product";
        });
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(broken.orElse(defaultValue)).build();
        assertThatThrownBy(() -> p.execute(() -> remote("product:999"))).isInstanceOf(OutOfMemoryError.class);
        assertThat(laterFallbackCalls).hasValue(0);
    }

    @Test
    void makesNoExternalCalls() {
        AtomicInteger fallbackRuns = new AtomicInteger();
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .retry(Retry.builder().maxAttempts(3).build())
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> {
                    fallbackRuns.incrementAndGet();
                    return cached("product:123");
                })).build();
        for (int i = 0; i < 10; i++) {
            assertThat(p.execute(() -> remote("product:123"))).isEqualTo("Widget");
        }
        assertThat(remoteCalls).as("the open breaker and the fallback never touch the dependency").hasValue(0);
        assertThat(fallbackRuns).hasValue(10);
        assertThat(clock.sleeps).isEmpty();
    }

    @Test
    void knowsWhyItWasInvoked() {
        Fallback<String> why = Fallback.always(cause -> cause.reason().code() + " on " + cause.dependency());
        TypedPipeline<String> retried = Pipeline.builder("catalog").retry(Retry.builder().maxAttempts(2).build()).clock(clock)
                .events(events.bus).fallback(why).build();
        assertThat(retried.execute(() -> remote("x"))).isEqualTo("retries-exhausted on catalog");
        TypedPipeline<String> open = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus).fallback(why).build();
        assertThat(open.execute(() -> remote("x"))).isEqualTo("circuit-open on catalog");
        Bulkhead full = Bulkhead.builder("catalog").maxConcurrentCalls(1).build();
        assertThat(full.tryAcquire()).isTrue();
        TypedPipeline<String> crowded = Pipeline.builder("catalog").bulkhead(full).clock(clock).events(events.bus).fallback(why).build();
        assertThat(crowded.execute(() -> remote("x"))).isEqualTo("bulkhead-full on catalog");
        TypedPipeline<String> slow = Pipeline.builder("catalog").timeout(Duration.ofMillis(20)).events(events.bus).fallback(why).build();
        assertThat(slow.execute(() -> {
            Thread.sleep(10_000);
            return "late";
        })).isEqualTo("attempt-timeout on catalog");
    }

    @Test
    void matchesByExceptionTypeIncludingTheCauseOfAWrapper() {
        TypedPipeline<String> p = Pipeline.builder("catalog").retry(Retry.builder().maxAttempts(2).build()).clock(clock).events(events.bus)
                .fallback(Fallback.on(ConnectException.class, cause -> "offline")).build();
        assertThat(p.execute(() -> remote("x"))).isEqualTo("offline"); // RetriesExhausted caused by ConnectException
        assertThatThrownBy(() -> p.execute(() -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(IllegalStateException.class); // no matching fallback: the failure escapes untouched
    }

    @Test
    void anExceptionThrownByTheFallbackIsReportedNotSwallowed() {
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> cached("missing"))).build();
        assertThatThrownBy(() -> p.execute(() -> remote("missing")))
                .isInstanceOf(CallNotPermittedException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(NoSuchElementException.class));
        assertThat(events.lines()).anyMatch(l -> l.startsWith("WARN [catalog] fallback for RESILIENCE/circuit-open failed too:")
                && l.contains("no cached missing"));
    }

    @Test
    void aPerCallFallbackIsTypedAndTriedBeforeThePipelines() {
        TypedPipeline<String> p = Pipeline.builder("catalog").circuitBreaker(openBreaker()).clock(clock).events(events.bus)
                .fallback(Fallback.always(cause -> "pipeline default")).build();
        assertThat(p.execute(CallContext.idempotent("catalog"), () -> "live", Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> "per call")))
                .isEqualTo("per call");
        // calls of another type go through the same policies without the String fallback
        Integer stock = p.pipeline().execute(CallContext.idempotent("catalog"), () -> 7, Fallback.on(FaultKind.CIRCUIT_OPEN, cause -> -1));
        assertThat(stock).isEqualTo(-1);
    }
}
