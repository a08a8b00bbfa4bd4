package dev.strata.spring;

import dev.strata.application.ShutdownReport;

import dev.strata.application.Strata;
import dev.strata.diagnosis.Diagnoser;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link Strata} runtime with the Spring context and shuts it down when the context
 * destroys its beans.
 *
 * <p>Its phase, {@link #PHASE}, is below the web server's ({@code DEFAULT_PHASE - 2048}) and its
 * graceful shutdown's ({@code DEFAULT_PHASE - 1024}): the runtime is started (pools warm, budget
 * checked) before the server accepts a request. On close, Spring first stops every lifecycle (it
 * turns readiness to {@code REFUSING_TRAFFIC}, the server drains its requests), then destroys the
 * beans; the runtime shuts down in this bean's {@link #destroy()}. Every {@code DataSource} bean of
 * the starter depends on this bean, so the beans that use a data source (JPA's
 * {@code EntityManagerFactory} with its {@code create-drop}, a {@code @PreDestroy} that writes a
 * last row) are destroyed first, while the pools still lend connections, as they would be with a
 * pool bean of their own. Then the runtime finishes its in-flight work and closes its pools,
 * within the shutdown budget, which the starter caps at
 * {@code spring.lifecycle.timeout-per-shutdown-phase}. No JVM shutdown hook is installed: Spring's
 * hook closes the context, so one SIGTERM runs one shutdown.
 */
public final class StrataLifecycle implements SmartLifecycle, DisposableBean {

    /** Starts before the web server; its stop comes after the server's graceful shutdown. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final System.Logger LOG = System.getLogger(StrataLifecycle.class.getName());

    private final Strata strata;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Diagnoser diagnoser;
    private volatile boolean running;

    /** Manages {@code strata}. */
    public StrataLifecycle(Strata strata) {
        this.strata = strata;
    }

    @Override
    public void start() {
        lock.lock();
        try {
            if (running || strata.state() != Strata.State.NEW) {
                return;
            }
            strata.start();
            diagnoser = Diagnoser.of(strata); // the runtime owns and closes it
            running = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Marks the runtime as no longer started by this lifecycle; it keeps serving, because beans
     * destroyed after the lifecycles stopped may still use its pools. {@link #destroy()} shuts it down.
     */
    @Override
    public void stop() {
        running = false;
    }

    /** Shuts the runtime down gracefully (see {@link Strata#shutdown()}) and logs its report. */
    @Override
    public void destroy() {
        shutdown();
    }

    private void shutdown() {
        try {
            ShutdownReport report = strata.shutdown();
            String line = "Strata runtime stopped: " + report;
            if (jvmShuttingDown()) {
                // java.util.logging resets its handlers in its own shutdown hook, beside Spring's: this line would be lost
                System.err.println(line);
            } else {
                LOG.log(report.forced() ? Level.WARNING : Level.INFO, line);
            }
        } finally {
            running = false;
        }
    }

    private static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shuttingDown) {
            return true;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The runtime's diagnoser, present once the runtime started. */
    public Optional<Diagnoser> diagnoser() {
        return Optional.ofNullable(diagnoser);
    }
}
