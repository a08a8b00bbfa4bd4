package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.application.Strata;
import dev.strata.fault.FaultKind;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Fallback;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@link StrataCall}: methods run through the dependency's pipeline; a wrong fallback stops startup, naming the method. */
class StrataCallTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(StrataAutoConfiguration.class))
            .withPropertyValues(
                    "strata.dependencies.pricing.breaker.mode=consecutive_failures",
                    "strata.dependencies.pricing.breaker.failure-threshold=2",
                    "strata.dependencies.pricing.breaker.open-wait=1h",
                    "strata.dependencies.pricing.retry.attempts=3",
                    "strata.dependencies.pricing.retry.backoff.initial=0ms",
                    "strata.dependencies.pricing.retry.budget.enabled=false",
                    "strata.dependencies.pricing.fallback[0]=circuit-open");

    static class Pricing {
        private final AtomicInteger calls = new AtomicInteger();
        private volatile boolean down;

        // through the proxy, state is reached by methods: the proxy's own fields are not the bean's
        public int calls() {
            return calls.get();
        }

        public void down(boolean down) {
            this.down = down;
        }

        @StrataCall(value = "pricing", fallback = "cached")
        public String price(String sku) {
            calls.incrementAndGet();
            if (down) {
                throw new UncheckedIOException(new IOException("connection reset"));
            }
            return sku + ":42";
        }

        String cached(String sku, Fallback.Cause cause) {
            return sku + ":cached (" + cause.reason().code() + ")";
        }
    }

    @Configuration
    static class Good {
        @Bean
        Pricing pricing() {
            return new Pricing();
        }
    }

    static class WrongFallback {
        @StrataCall(value = "pricing", fallback = "cached")
        public String price(String sku) {
            return sku;
        }

        Integer cached(String sku) {
            return 0;
        }
    }

    static class UnknownDependency {
        @StrataCall("pricng")
        public String price(String sku) {
            return sku;
        }
    }

    @Test
    void methodRunsThroughThePipelineRetriesAndAnswersFromTheFallbackWhenTheBreakerIsOpen() {
        runner.withUserConfiguration(Good.class).run(context -> {
            Pricing pricing = context.getBean(Pricing.class);
            assertThat(pricing.price("tea")).isEqualTo("tea:42");
            assertThat(pricing.calls()).isEqualTo(1);

            pricing.down(true);
            assertThatThrownBy(() -> pricing.price("tea")).isInstanceOf(RuntimeException.class);
            assertThat(pricing.calls()).as("three attempts of one logical call").isEqualTo(4);
            assertThatThrownBy(() -> pricing.price("tea")).isInstanceOf(RuntimeException.class);
            CircuitBreaker breaker = context.getBean(Strata.class).dependency("pricing").circuitBreaker().orElseThrow();
            assertThat(breaker.state()).as("two logical calls failed, not six attempts").isEqualTo(CircuitBreaker.State.OPEN);

            int before = pricing.calls();
            assertThat(pricing.price("tea")).isEqualTo("tea:cached (" + FaultKind.CIRCUIT_OPEN.code() + ")");
            assertThat(pricing.calls()).isEqualTo(before);
        });
    }

    /** A bean whose {@code @PreDestroy} still calls a {@code @StrataCall} method of another bean. */
    static class Farewell {
        static final java.util.concurrent.atomic.AtomicReference<String> SAID = new java.util.concurrent.atomic.AtomicReference<>();
        private final Pricing pricing;

        Farewell(Pricing pricing) {
            this.pricing = pricing;
        }

        @jakarta.annotation.PreDestroy
        void sayGoodbye() {
            try {
                SAID.set(pricing.price("last-tea"));
            } catch (RuntimeException e) {
                SAID.set("failed: " + e);
            }
        }
    }

    @Configuration
    static class WithFarewell {
        @Bean
        Pricing pricing() {
            return new Pricing();
        }

        @Bean
        Farewell farewell(Pricing pricing) {
            return new Farewell(pricing);
        }
    }

    @Test
    void aPreDestroyMethodCanStillCallAStrataCallMethod() {
        // The runtime closes when its lifecycle bean is destroyed; a @StrataCall bean is registered
        // as depending on it, so it and the beans that use it are destroyed first.
        Farewell.SAID.set(null);
        runner.withUserConfiguration(WithFarewell.class).run(context -> assertThat(context).hasNotFailed());
        assertThat(Farewell.SAID.get()).isEqualTo("last-tea:42");
    }

    static class Traced {
        @StrataCall("pricing")
        public String whereAmI() {
            return Thread.currentThread().threadId() + " " + MDC.get("requestId");
        }
    }

    @Test
    void theCallersMdcReachesTheAttemptThread() {
        runner.withPropertyValues("strata.dependencies.pricing.timeout=5s").withBean(Traced.class).run(context -> {
            Traced traced = context.getBean(Traced.class);
            MDC.put("requestId", "r-17");
            try {
                String[] seen = traced.whereAmI().split(" ");
                assertThat(Long.parseLong(seen[0])).as("an attempt with a timeout runs on its own thread")
                        .isNotEqualTo(Thread.currentThread().threadId());
                assertThat(seen[1]).isEqualTo("r-17");
            } finally {
                MDC.clear();
            }
        });
    }

    @Test
    void aFallbackWithTheWrongReturnTypeFailsStartupNamingTheMethod() {
        runner.withBean(WrongFallback.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasMessageContaining(
                    "@StrataCall on WrongFallback.price(String): fallback method must be String cached(String, [Fallback.Cause])");
        });
    }

    @Test
    void anUnknownDependencyFailsStartupWithTheConfiguredNames() {
        runner.withBean(UnknownDependency.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasMessageContaining(
                    "@StrataCall on UnknownDependency.price(String): dependency 'pricng' is not configured; configured: [pricing]");
        });
    }

    @Test
    void aFallbackWithoutFallbackKindsWouldNeverRunAndFailsStartup() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(StrataAutoConfiguration.class))
                .withPropertyValues("strata.dependencies.pricing.timeout=1s")
                .withUserConfiguration(Good.class).run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).hasMessageContaining(
                            "fallback 'cached' would never run: set strata.dependencies.pricing.fallback");
                });
    }
}
