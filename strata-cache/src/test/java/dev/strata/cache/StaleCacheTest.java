package dev.strata.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StaleCacheTest {

    private final ManualClock clock = new ManualClock();
    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicBoolean down = new AtomicBoolean();

    StaleCacheTest() {
        bus.subscribe(events::add);
    }

    /** The "dependency": answers with a version number, or refuses connections while down. */
    private String price(String sku) throws IOException {
        int n = calls.incrementAndGet();
        if (down.get()) {
            throw new ConnectException("Connection refused");
        }
        return sku + "@v" + n;
    }

    private StaleCache.Builder cache() {
        return StaleCache.builder("prices").freshFor(Duration.ofSeconds(30)).maxStaleness(Duration.ofMinutes(5))
                .clock(clock).events(bus);
    }

    @Test
    void freshValuesComeFromTheCache() {
        StaleCache<String, String> prices = cache().build(this::price);
        CacheResult<String> first = prices.get("sku-1");
        assertThat(first.source()).isEqualTo(CacheResult.Source.LOADED);
        clock.advance(Duration.ofSeconds(10));
        CacheResult<String> second = prices.get("sku-1");
        assertThat(second.value()).isEqualTo("sku-1@v1");
        assertThat(second.source()).isEqualTo(CacheResult.Source.CACHED);
        assertThat(second.age()).isEqualTo(Duration.ofSeconds(10));
        assertThat(calls).hasValue(1);
    }

    @Test
    void whenTheLoadFailsTheLastGoodValueIsServedUpToMaxStalenessSayingHowStale() {
        StaleCache<String, String> prices = cache().build(this::price);
        prices.get("sku-1");
        down.set(true);
        clock.advance(Duration.ofMinutes(4));

        CacheResult<String> stale = prices.get("sku-1");
        assertThat(stale.value()).isEqualTo("sku-1@v1");
        assertThat(stale.stale()).isTrue();
        assertThat(stale.age()).isEqualTo(Duration.ofMinutes(4));
        assertThat(stale.failure().kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
        assertThat(prices.staleServedCount()).isEqualTo(1);
        assertThat(events).filteredOn(e -> e.type().equals("cache.stale-served")).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("served the value loaded 4m00s ago (max staleness 5m00s)"));

        clock.advance(Duration.ofMinutes(2)); // 6 minutes old: beyond the bound
        assertThatThrownBy(() -> prices.get("sku-1")).hasRootCauseInstanceOf(ConnectException.class);

        down.set(false);
        CacheResult<String> back = prices.get("sku-1");
        assertThat(back.source()).isEqualTo(CacheResult.Source.LOADED);
        assertThat(back.stale()).isFalse();
    }

    @Test
    void aFailureWithNothingCachedIsThrown() {
        down.set(true);
        StaleCache<String, String> prices = cache().build(this::price);
        assertThatThrownBy(() -> prices.get("sku-1")).hasRootCauseInstanceOf(ConnectException.class);
        assertThat(events).noneMatch(e -> e.type().startsWith("cache."));
    }

    @Test
    void aThousandConcurrentMissesMakeOneCall() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger loads = new AtomicInteger();
        StaleCache<String, String> prices = StaleCache.builder("prices").events(bus).build(sku -> {
            loads.incrementAndGet();
            assertThat(release.await(20, TimeUnit.SECONDS)).isTrue(); // held until every caller is waiting
            return sku + "@v1";
        });
        List<Thread> callers = new ArrayList<>();
        List<CacheResult<String>> results = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1000);
        for (int i = 0; i < 1000; i++) {
            callers.add(Thread.ofVirtual().start(() -> {
                started.countDown();
                results.add(prices.get("sku-hot"));
            }));
        }
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
        // every caller has asked once the load is running and the other 999 have joined it
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!prices.isLoading("sku-hot")) {
            assertThat(System.nanoTime()).isLessThan(until);
            Thread.sleep(1);
        }
        Thread.sleep(200); // let the remaining virtual threads reach get(): joining needs no further call
        release.countDown();
        for (Thread t : callers) {
            assertThat(t.join(Duration.ofSeconds(20))).isTrue();
        }
        assertThat(loads).hasValue(1);
        assertThat(results).hasSize(1000).allSatisfy(r -> assertThat(r.value()).isEqualTo("sku-hot@v1"));
    }

    @Test
    void refreshAheadReloadsInTheBackgroundThroughThePipeline() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        Pipeline pipeline = Pipeline.builder("prices").retry(Retry.builder().maxAttempts(2).build()).clock(clock)
                .events(bus).build();
        StaleCache<String, String> prices = cache().pipeline(pipeline).refreshAfter(Duration.ofSeconds(20)).build(sku -> {
            int n = attempts.incrementAndGet();
            if (n == 2) {
                throw new ConnectException("Connection refused"); // the refresh's first attempt fails: the pipeline retries
            }
            return sku + "@v" + n;
        });
        assertThat(prices.get("sku-1").value()).isEqualTo("sku-1@v1");
        clock.advance(Duration.ofSeconds(25));
        CacheResult<String> served = prices.get("sku-1");
        assertThat(served.source()).isEqualTo(CacheResult.Source.CACHED);
        assertThat(served.value()).isEqualTo("sku-1@v1"); // served at once, refresh in the background
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (prices.isLoading("sku-1") || attempts.get() < 3) {
            assertThat(System.nanoTime()).isLessThan(until);
            Thread.sleep(5);
        }
        CacheResult<String> refreshed = prices.get("sku-1");
        assertThat(refreshed.value()).isEqualTo("sku-1@v3");
        assertThat(refreshed.age()).isEqualTo(Duration.ZERO);
        assertThat(prices.refreshCount()).isEqualTo(1);
        assertThat(attempts).hasValue(3);
    }

    @Test
    void anErrorThrownByTheLoaderDoesNotPoisonItsKey() {
        AtomicInteger attempts = new AtomicInteger();
        StaleCache<String, String> prices = cache().maxJoinWait(Duration.ofSeconds(30)).build(sku -> {
            if (attempts.incrementAndGet() == 1) {
                throw new StackOverflowError("deep recursion in the price mapper");
            }
            return sku + "@v" + attempts.get();
        });
        assertThatThrownBy(() -> prices.get("sku-1")).isInstanceOf(StackOverflowError.class);
        assertThat(prices.isLoading("sku-1")).as("the in-flight entry is removed").isFalse();

        CacheResult<String> next = prices.get("sku-1"); // loads again at once, no join wait on a dead load
        assertThat(next.source()).isEqualTo(CacheResult.Source.LOADED);
        assertThat(next.value()).isEqualTo("sku-1@v2");
        assertThat(attempts).hasValue(2);
    }

    @Test
    void aCallerJoiningALoadThatThrowsAnErrorFailsAtOnceInsteadOfWaitingOutMaxJoinWait() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger attempts = new AtomicInteger();
        StaleCache<String, String> prices = StaleCache.builder("prices").events(bus).maxJoinWait(Duration.ofMinutes(5))
                .build(sku -> {
                    if (attempts.incrementAndGet() == 1) {
                        loading.countDown();
                        assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
                        throw new NoClassDefFoundError("com/example/PriceMapper");
                    }
                    return sku + "@v" + attempts.get();
                });
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        Thread leader = Thread.ofVirtual().start(() -> {
            try {
                prices.get("sku-1");
            } catch (Throwable t) {
                thrown.add(t);
            }
        });
        assertThat(loading.await(20, TimeUnit.SECONDS)).isTrue();
        Thread joiner = Thread.ofVirtual().start(() -> {
            try {
                prices.get("sku-1");
            } catch (Throwable t) {
                thrown.add(t);
            }
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (joiner.getState() != Thread.State.WAITING && joiner.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).isLessThan(until);
            Thread.sleep(1);
        }
        release.countDown();
        assertThat(leader.join(Duration.ofSeconds(20))).isTrue();
        assertThat(joiner.join(Duration.ofSeconds(20))).as("the joiner is woken by the failed load").isTrue();
        assertThat(thrown).hasSize(2).allSatisfy(t -> assertThat(t).satisfiesAnyOf(e -> assertThat(e).isInstanceOf(NoClassDefFoundError.class),
                        e -> assertThat(e).hasCauseInstanceOf(NoClassDefFoundError.class)));
        assertThat(prices.isLoading("sku-1")).isFalse();
        assertThat(prices.get("sku-1").value()).isEqualTo("sku-1@v2");
    }

    @Test
    void badConfigurationIsRefused() {
        assertThatThrownBy(() -> cache().maxStaleness(Duration.ofSeconds(10)).build(this::price))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxStaleness: 10.0s is out of range; allowed 30.0s..10080m00s");
        assertThatThrownBy(() -> cache().refreshAfter(Duration.ofSeconds(30)).build(this::price))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("refreshAfter: 30.0s is out of range");
        assertThatThrownBy(() -> cache().maximumSize(0).build(this::price))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumSize: 0 is out of range; allowed 1..100000000");
    }
}
