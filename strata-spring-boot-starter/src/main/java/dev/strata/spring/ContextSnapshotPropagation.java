package dev.strata.spring;

import dev.strata.observe.ContextPropagation;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import java.util.function.Predicate;
import org.springframework.beans.factory.DisposableBean;

/**
 * Carries every thread-local value registered with Micrometer's context-propagation library
 * ({@link ContextRegistry}) into the threads Strata hands an attempt to: Spring Security's
 * {@code SecurityContext} (which spring-security-core registers itself), Micrometer's current
 * observation, and any {@code ThreadLocalAccessor} the application adds. An attempt bounded by a
 * timeout therefore runs as the same user, in the same observation, as the code that called it.
 *
 * <p>The receiving thread's own values are restored when the task ends ({@link ContextSnapshot.Scope}).
 * Accessors are looked up on each capture, so one registered after startup is carried too. The
 * SLF4J MDC is left to {@link MdcPropagation} when that is registered, so it is not set twice.
 */
public final class ContextSnapshotPropagation implements DisposableBean {

    /** The key of context-propagation's own SLF4J MDC accessor ({@code Slf4jThreadLocalAccessor.KEY}). */
    static final String MDC_KEY = "cid.slf4j.mdc";

    private final AutoCloseable registration;

    /**
     * Registers the propagator.
     *
     * @param skipMdc whether the MDC is carried by another propagator (then its accessor, if an
     *                application registered one, is skipped here)
     */
    public ContextSnapshotPropagation(boolean skipMdc) {
        Predicate<Object> keys = skipMdc ? key -> !MDC_KEY.equals(key) : key -> true;
        ContextSnapshotFactory snapshots = ContextSnapshotFactory.builder()
                .contextRegistry(ContextRegistry.getInstance())
                .captureKeyPredicate(keys)
                .clearMissing(false) // a value the caller did not have is left as the receiving thread has it
                .build();
        this.registration = ContextPropagation.register(new ContextPropagation.Propagator() {
            @Override
            public Object capture() {
                return snapshots.captureAll();
            }

            @Override
            public AutoCloseable attach(Object captured) {
                return captured == null ? null : ((ContextSnapshot) captured).setThreadLocals(keys);
            }
        });
    }

    @Override
    public void destroy() throws Exception {
        registration.close();
    }
}
