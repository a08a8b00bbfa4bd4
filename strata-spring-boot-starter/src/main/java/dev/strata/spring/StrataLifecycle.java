package dev.strata.spring;

import dev.strata.application.ShutdownReport;

import dev.strata.application.Strata;
import dev.strata.diagnosis.Diagnoser;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.context.SmartLifecycle;

/**
 * Starts and stops the {@link Strata} runtime with the Spring context.
 *
 * <p>Its phase, {@link #PHASE}, is below the web server's ({@code DEFAULT_PHASE - 2048}) and its
 * graceful shutdown's ({@code DEFAULT_PHASE - 1024}): the runtime is started (pools warm, budget
 * checked) before the server accepts a request, and on close it stops only after Spring turned
 * readiness to {@code REFUSING_TRAFFIC} and the server drained its requests. Then the runtime
 * finishes its own in-flight work and closes its pools, within the shutdown budget, which the
 * starter caps at {@code spring.lifecycle.timeout-per-shutdown-phase}. No JVM shutdown hook is
 * installed: Spring's hook closes the context, so one SIGTERM runs one shutdown.
 */
public final class StrataLifecycle implements SmartLifecycle {

    /** Starts before and stops after the web server and its graceful shutdown. */
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

    @Override
    public void stop() {
        shutdown();
    }

    @Override
    public void stop(Runnable callback) {
        // Spring waits for the callback up to timeout-per-shutdown-phase; the runtime's budget is capped below it
        Thread.ofPlatform().name("strata-shutdown").daemon(false).start(() -> {
            try {
                shutdown();
            } finally {
                callback.run();
            }
        });
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
