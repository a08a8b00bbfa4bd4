package dev.strata.spring;

import dev.strata.observe.ContextPropagation;
import java.util.Map;
import org.slf4j.MDC;
import org.springframework.beans.factory.DisposableBean;

/**
 * Carries the SLF4J {@link MDC} (request ids, user names put there by filters) from the calling
 * thread into the threads Strata hands an attempt to (an attempt bounded by a timeout runs on a new
 * virtual thread; backoffs and hedges continue on the timer's threads), so a log line written
 * inside an attempt carries the same keys as the request's other lines. The receiving thread's own
 * MDC is restored when the task ends. Registered with {@link ContextPropagation} while the context
 * lives; trace context is carried the same way by {@code strata-opentelemetry}'s {@code StrataTracing}.
 */
public final class MdcPropagation implements DisposableBean {

    private final AutoCloseable registration;

    /** Registers the propagator. */
    public MdcPropagation() {
        this.registration = ContextPropagation.register(new ContextPropagation.Propagator() {
            @Override
            public Object capture() {
                return MDC.getCopyOfContextMap();
            }

            @Override
            @SuppressWarnings("unchecked")
            public AutoCloseable attach(Object captured) {
                Map<String, String> previous = MDC.getCopyOfContextMap();
                if (captured == null) {
                    MDC.clear();
                } else {
                    MDC.setContextMap((Map<String, String>) captured);
                }
                return () -> {
                    if (previous == null) {
                        MDC.clear();
                    } else {
                        MDC.setContextMap(previous);
                    }
                };
            }
        });
    }

    @Override
    public void destroy() throws Exception {
        registration.close();
    }
}
