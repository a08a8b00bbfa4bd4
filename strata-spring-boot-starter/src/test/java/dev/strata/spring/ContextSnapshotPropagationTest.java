package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.ContextPropagation;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Micrometer's context-propagation through Strata's thread hand-offs: Spring Security's context
 * (registered by spring-security-core itself, nothing configured here) and an accessor the
 * application registers reach an attempt that runs on its own thread, and the attempt thread's
 * own values come back when it ends.
 */
class ContextSnapshotPropagationTest {

    /** An application's own thread-bound value, registered as users do (once, process-wide). */
    static final ThreadLocal<String> TENANT = new ThreadLocal<>();
    static final String TENANT_KEY = "test.tenant";

    static {
        ContextRegistry.getInstance().registerThreadLocalAccessor(new ThreadLocalAccessor<String>() {
            @Override
            public Object key() {
                return TENANT_KEY;
            }

            @Override
            public String getValue() {
                return TENANT.get();
            }

            @Override
            public void setValue(String value) {
                TENANT.set(value);
            }

            @Override
            public void setValue() {
                TENANT.remove();
            }
        });
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(StrataAutoConfiguration.class))
            .withPropertyValues("strata.dependencies.pricing.timeout=5s")
            .withBean(WhoAmI.class);

    static class WhoAmI {
        @StrataCall("pricing")
        public List<String> whoAmI() {
            Authentication user = SecurityContextHolder.getContext().getAuthentication();
            return List.of(String.valueOf(Thread.currentThread().threadId()), user == null ? "anonymous" : user.getName(),
                    String.valueOf(TENANT.get()), String.valueOf(MDC.get("requestId")));
        }
    }

    @AfterEach
    void clear() {
        SecurityContextHolder.clearContext();
        TENANT.remove();
        MDC.clear();
    }

    @Test
    void theCallersSecurityContextAndOwnAccessorsReachTheAttemptThread() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(ContextSnapshotPropagation.class).hasSingleBean(MdcPropagation.class);
            SecurityContextHolder.getContext().setAuthentication(UsernamePasswordAuthenticationToken.authenticated("alice", null, List.of()));
            TENANT.set("acme");
            MDC.put("requestId", "r-9");

            List<String> seen = context.getBean(WhoAmI.class).whoAmI();

            assertThat(Long.parseLong(seen.get(0))).as("an attempt with a timeout runs on its own thread")
                    .isNotEqualTo(Thread.currentThread().threadId());
            assertThat(seen.subList(1, 4)).containsExactly("alice", "acme", "r-9");
            assertThat(SecurityContextHolder.getContext().getAuthentication().getName()).as("the caller's own context is untouched")
                    .isEqualTo("alice");
        });
    }

    @Test
    void theReceivingThreadGetsItsOwnValuesBackWhenTheTaskEnds() {
        runner.run(context -> {
            TENANT.set("acme");
            Runnable wrapped = ContextPropagation.wrap(() -> assertThat(TENANT.get()).isEqualTo("acme"));
            TENANT.remove();
            // Another thread with a value of its own runs the task, then has its own value again.
            CompletableFuture<String> after = CompletableFuture.supplyAsync(() -> {
                TENANT.set("other");
                wrapped.run();
                return TENANT.get();
            }, Thread::startVirtualThread);
            assertThat(after.get(5, TimeUnit.SECONDS)).isEqualTo("other");
        });
    }

    /** How many propagators are registered now ({@link ContextPropagation#capture()} holds two slots per propagator). */
    private static int registered() {
        Object[] captured = ContextPropagation.capture();
        return captured == null ? 0 : captured.length / 2;
    }

    @Test
    void nothingIsRegisteredOnceTheContextCloses() {
        // Other contexts in this JVM may hold propagators of their own: count, do not expect none.
        int before = registered();
        runner.run(context -> assertThat(registered()).as("MDC and context snapshots").isEqualTo(before + 2));
        assertThat(registered()).as("the propagators are unregistered with the context").isEqualTo(before);
    }
}
