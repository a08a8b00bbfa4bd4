package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.jdbc.StrataDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class StrataRegistryTest {

    /** No server listens on port 1: pools with min idle 0 never connect, which these tests do not need. */
    private static final String URL = "jdbc:postgresql://127.0.0.1:1/shop";

    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();

    StrataRegistryTest() {
        bus.subscribe(events::add);
    }

    private StrataBuilder builder() {
        return Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }

    @Test
    void dependencyReturnsTheSameHandleAndObjectsEveryTime() {
        try (Strata strata = builder()
                .defaults(d -> d.timeout(Duration.ofSeconds(1)).breaker(b -> b.failureThreshold(3)))
                .dependency("catalog", d -> d.jdbc(URL, "shop", "secret").pool(p -> p.maxSize(4)))
                .dependency("payments", d -> d.deadline(Duration.ofSeconds(5)).retry(r -> r.maxAttempts(3))
                        .retryBudget(b -> b.retryPercent(0.1)).bulkhead(b -> b.maxConcurrentCalls(8)))
                .build()) {
            Dependency payments = strata.dependency("payments");
            assertThat(strata.dependency("payments")).isSameAs(payments);
            assertThat(payments.pipeline()).isSameAs(strata.dependency("payments").pipeline());
            StrataDataSource ds = strata.dependency("catalog").dataSource();
            assertThat(strata.dependency("catalog").dataSource()).isSameAs(ds);
            assertThat(ds.pool().config().maxSize()).isEqualTo(4);

            // the runtime lists everything it made, for diagnosis and metrics
            assertThat(strata.breakers()).extracting(CircuitBreaker::name).containsExactly("catalog", "payments");
            assertThat(strata.bulkheads()).hasSize(1).containsExactly(payments.bulkhead().orElseThrow());
            assertThat(strata.retryBudgets()).containsExactly(payments.retryBudget().orElseThrow());
            assertThat(strata.pools()).containsExactly(ds.pool());
            assertThat(strata.pipelines()).hasSize(2);
            assertThat(strata.dependencies().keySet()).containsExactly("catalog", "payments");
            assertThat(payments.execute(() -> "ok")).isEqualTo("ok");
        }
    }

    @Test
    void unknownDependencyNamesTheConfiguredOnes() {
        try (Strata strata = builder().dependency("payments", d -> { }).build()) {
            assertThatThrownBy(() -> strata.dependency("payment"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("dependency: 'payment' is not configured; configured: [payments]");
        }
    }

    @Test
    void aSecondPoolToOneTargetIsAFindingWithBothCreationSites() {
        try (Strata strata = builder()
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw"))
                .dependency("reports", d -> d.jdbc(URL + "?ApplicationName=reports", "shop", "pw"))
                .dependency("admin", d -> d.jdbc(URL, "admin", "pw"))
                .build()) {
            strata.dependency("catalog").dataSource();
            strata.dependency("reports").dataSource();
            strata.dependency("admin").dataSource(); // another user: another target, no finding

            assertThat(strata.findings()).hasSize(1);
            Finding finding = strata.findings().get(0);
            assertThat(finding.type()).isEqualTo("registry.duplicate-pool");
            assertThat(finding.message()).contains("second pool to 127.0.0.1:1/shop as shop", "'reports'", "'catalog'",
                    "StrataRegistryTest.aSecondPoolToOneTargetIsAFindingWithBothCreationSites");
            assertThat(finding.sites()).hasSize(2).allSatisfy(site -> assertThat(site).anySatisfy(frame ->
                    assertThat(frame.getMethodName()).isEqualTo("aSecondPoolToOneTargetIsAFindingWithBothCreationSites")));
            assertThat(events).contains(finding);
            assertThat(strata.pools()).hasSize(3);
        }
    }

    @Test
    void aSecondPoolMadeByStartIsReportedAtTheCallerOfStart() {
        try (Strata strata = builder()
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw"))
                .dependency("reports", d -> d.jdbc(URL, "shop", "pw"))
                .build().start()) {
            assertThat(strata.findings()).singleElement().satisfies(f -> assertThat(f.message())
                    .contains("'reports' at dev.strata.application.StrataRegistryTest.aSecondPoolMadeByStartIsReportedAtTheCallerOfStart"));
        }
    }

    @Test
    void strictModeRefusesTheSecondPoolAndShowsTheFirstSiteAsCause() {
        try (Strata first = builder().dependency("catalog", d -> d.jdbc(URL, "shop", "pw")).build();
             Strata second = builder().strict(true).dependency("orders", d -> d.jdbc(URL, "shop", "pw")).build()) {
            first.dependency("catalog").dataSource();
            assertThat(second.findings()).extracting(Finding::type).containsExactly("registry.second-runtime");
            assertThatThrownBy(() -> second.dependency("orders").dataSource())
                    .isInstanceOf(DuplicatePoolException.class)
                    .hasMessageContaining("'catalog' (another Strata runtime) already has one")
                    .cause().isInstanceOf(DuplicatePoolException.CreationSite.class)
                    .hasMessageContaining("first pool to 127.0.0.1:1/shop as shop created here");
            assertThat(second.pools()).isEmpty();
        }
    }

    @Test
    void aClosedPoolFreesItsTargetForTheNextRuntime() {
        Strata first = builder().strict(true).dependency("catalog", d -> d.jdbc(URL, "shop", "pw")).build();
        first.dependency("catalog").dataSource();
        first.close();
        try (Strata next = builder().strict(true).dependency("catalog", d -> d.jdbc(URL, "shop", "pw")).build()) {
            assertThat(next.dependency("catalog").dataSource().pool().isClosed()).isFalse();
            assertThat(next.findings()).isEmpty();
        }
    }

    @Test
    void attachmentsAreMadeOnceFromTheHandleAndClosedBeforeThePoolsTheyFollowInReverseOrder() {
        AttachmentKey<Recorder> key = AttachmentKey.of("recorder", Recorder.class);
        List<String> closed = new CopyOnWriteArrayList<>();
        List<String> made = new ArrayList<>();
        Strata strata = builder()
                .attachEverywhere(key, d -> {
                    made.add(d.name());
                    return d.httpBaseUrl().isPresent() ? new Recorder(d.name(), closed) : null;
                })
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw"))
                .dependency("payments", d -> d.httpBaseUrl(java.net.URI.create("http://127.0.0.1:9/")))
                .dependency("inventory", d -> d.httpBaseUrl(java.net.URI.create("http://127.0.0.1:8/")))
                .build().start();
        strata.own("server", () -> closed.add("server"));
        Recorder payments = strata.dependency("payments").attachment(key);
        assertThat(strata.dependency("payments").attachment(key)).isSameAs(payments);
        assertThat(strata.dependency("catalog").findAttachment(key)).isEmpty();
        assertThat(made).containsExactly("catalog", "payments", "inventory");
        assertThat(strata.attachments(Recorder.class)).extracting(r -> r.name).containsExactly("payments", "inventory");
        StrataDataSource catalog = strata.dependency("catalog").dataSource();

        ShutdownReport report = strata.shutdown();

        assertThat(catalog.pool().isClosed()).isTrue();
        assertThat(closed).containsExactly("server", "inventory", "payments");
        assertThat(report.steps()).extracting(ShutdownStep::step).containsSubsequence(
                "readiness DOWN", "pause", "refuse new work; wait for in-flight", "close data-source catalog",
                "close owned:server strata", "close recorder inventory", "close recorder payments");
        assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        assertThatThrownBy(() -> strata.dependency("payments").execute(() -> "late"))
                .isInstanceOf(ShuttingDownException.class).hasMessageContaining("shutting down");
    }

    @Test
    void aFailedAttachmentClosesWhatItsDependencyMadeSoARetryStartsAfresh() {
        AttachmentKey<Recorder> first = AttachmentKey.of("first", Recorder.class);
        AttachmentKey<Recorder> second = AttachmentKey.of("second", Recorder.class);
        List<String> closed = new CopyOnWriteArrayList<>();
        List<StrataDataSource> pools = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        try (Strata strata = builder().strict(true)
                .attachEverywhere(first, d -> {
                    pools.add(d.dataSource); // attachments come after the pool
                    return new Recorder("first", closed);
                })
                .attachEverywhere(second, d -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new java.io.IOException("not yet");
                    }
                    return new Recorder("second", closed);
                })
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw"))
                .build()) {
            Dependency catalog = strata.dependency("catalog");
            assertThatThrownBy(catalog::dataSource).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("attachment 'second' could not be created: not yet");
            assertThat(closed).containsExactly("first");
            assertThat(pools).singleElement().satisfies(pool -> assertThat(pool.pool().isClosed()).isTrue());
            assertThat(strata.dataSources()).isEmpty();
            assertThat(strata.components()).extracting(Strata.Component::kind).doesNotContain("data-source", "first");

            // nothing of the first attempt is left: no second pool to the target, no finding, strict mode passes
            StrataDataSource ds = catalog.dataSource();
            assertThat(ds.pool().isClosed()).isFalse();
            assertThat(pools).hasSize(2).last().isSameAs(ds);
            assertThat(strata.pools()).containsExactly(ds.pool());
            assertThat(strata.attachments(Recorder.class)).extracting(r -> r.name).containsExactly("first", "second");
            assertThat(strata.findings()).isEmpty();
        }
    }

    @Test
    void everyProblemOfEveryDependencyIsReportedAtOnceAndNothingIsBuilt() {
        assertThatThrownBy(() -> builder()
                .dependency("payments", d -> d.deadline(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(2))
                        .retry(r -> r.maxAttempts(3).backoff(dev.strata.resilience.Backoff.fixed(Duration.ZERO))))
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw").pool(p -> p.maxSize(2).minIdle(5)))
                .dependency("inventory", d -> d.bulkhead(b -> b.maxConcurrentCalls(0)))
                .build())
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> {
                    assertThat(e.problems()).extracting(InvalidConfigurationException.Problem::key).containsExactly(
                            "dependencies.payments.deadline", "dependencies.catalog.pool", "dependencies.inventory.bulkhead");
                    assertThat(e.getMessage()).startsWith("3 configuration problems:")
                            .contains("deadline: 1.00s cannot fit 3 attempts x 2.00s timeout", "minIdle: 5 is out of range; allowed 0..2",
                                    "maxConcurrentCalls: 0 is out of range");
                });
    }

    @Test
    void theDeclaredConnectionBudgetIsCheckedWhenBuiltWithTheArithmetic() {
        assertThatThrownBy(() -> builder()
                .connectionBudget(new ConnectionBudget(3, 0.2, 100))
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw").pool(p -> p.maxSize(10)))
                .dependency("orders", d -> d.jdbc("jdbc:postgresql://127.0.0.1:1/orders", "shop", "pw").pool(p -> p.maxSize(20)))
                .dependency("other", d -> d.jdbc("jdbc:postgresql://127.0.0.2:1/x", "shop", "pw").pool(p -> p.maxSize(20)))
                .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("1 configuration problem:\n  connection_budget: connection budget exceeded: database 127.0.0.1:1: "
                        + "3 instances x (catalog 10 + orders 20 = 30) = 90 connections > 80 allowed = 100 max_connections "
                        + "(declared) x (1 - 20% headroom); lower the pools' max_size, the instances, or raise max_connections");

        try (Strata fits = builder().connectionBudget(new ConnectionBudget(2, 0.2, 100))
                .dependency("catalog", d -> d.jdbc(URL, "shop", "pw").pool(p -> p.maxSize(40))).build()) {
            assertThat(fits.state()).isEqualTo(Strata.State.NEW); // 2 x 40 = 80 <= 80
        }
    }

    @Test
    void secretsAreMaskedInEveryPrintedForm() {
        try (Strata strata = builder().dependency("catalog", d -> d.jdbc(URL, "shop", "hunter2")).build()) {
            assertThat(strata.toString() + strata.dependency("catalog") + strata.dependency("catalog").dataSource()
                    + strata.dependency("catalog").settings.password).doesNotContain("hunter2");
        }
        assertThat(Secret.of("hunter2")).hasToString("******");
    }

    record Recorder(String name, List<String> closed) implements AutoCloseable {
        @Override
        public void close() {
            closed.add(name);
        }
    }

    @Test
    void aDependencysRateLimiterIsListedAndThrottlesItsCalls() {
        dev.strata.ratelimit.LocalRateLimiter limiter = dev.strata.ratelimit.LocalRateLimiter.builder("payments")
                .algorithm(dev.strata.ratelimit.RateLimitAlgorithm.FIXED_WINDOW).limit(1, Duration.ofMinutes(1)).build();
        try (Strata strata = builder().dependency("payments", d -> d.rateLimiter(limiter, Duration.ZERO)).build()) {
            assertThat(strata.limiters()).containsExactly(limiter);
            assertThat(strata.dependency("payments").rateLimiter()).containsSame(limiter);
            assertThat(strata.dependency("payments").execute(() -> "first")).isEqualTo("first");
            assertThatThrownBy(() -> strata.dependency("payments").execute(() -> "second"))
                    .isInstanceOf(dev.strata.ratelimit.RateLimitedException.class);
        }
    }

    @Test
    void poolsMadeOutsideTheRuntimeAreCheckedByHostAndPortAndClosedWithThePools() {
        List<String> closed = new CopyOnWriteArrayList<>();
        Strata strata = builder().build();
        strata.registerPool("cache", PoolTarget.host("Redis.local", 6379), () -> closed.add("cache"));
        strata.registerPool("sessions", PoolTarget.host("redis.local", 6379), () -> closed.add("sessions"));
        assertThat(strata.findings()).singleElement().satisfies(f -> assertThat(f.message())
                .startsWith("second pool to redis.local:6379: 'sessions' at ").contains("while 'cache' (this runtime)")
                .contains("StrataRegistryTest.poolsMadeOutsideTheRuntimeAreCheckedByHostAndPortAndClosedWithThePools"));
        strata.close();
        assertThat(closed).containsExactly("sessions", "cache");
    }

    @Test
    void attachmentsCloseBeforeThePoolTheyCameAfterAsTheFactoryDocumentationPromises() {
        AutoCloseable nothing = () -> { };
        Strata.Component breaker = new Strata.Component("catalog", "circuit-breaker", nothing);
        Strata.Component pool = new Strata.Component("catalog", "pool", nothing);
        Strata.Component http = new Strata.Component("catalog", "http", nothing);
        Strata.Component cache = new Strata.Component("catalog", "cache", nothing);
        Strata.Component otherPool = new Strata.Component("orders", "pool", nothing);
        Strata.Component server = new Strata.Component(Strata.RUNTIME, "owned:server", nothing);

        List<Strata.Component> order = Inventory.closingOrder(List.of(breaker, pool, http, cache, otherPool, server));

        assertThat(order).extracting(c -> c.dependency() + " " + c.kind()).containsExactly(
                "orders pool", "catalog cache", "catalog http", "catalog pool", "strata owned:server", "catalog circuit-breaker");
    }
}
