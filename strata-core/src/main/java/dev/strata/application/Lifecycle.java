package dev.strata.application;

import dev.strata.application.Strata.Component;
import dev.strata.application.ShutdownReport;
import dev.strata.application.ShutdownStep;
import dev.strata.application.Strata.State;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One runtime's lifecycle and admission of work: the {@link State} machine, the count of in-flight
 * work that graceful shutdown waits for, the shutdown sequence with its logged steps, and the JVM
 * shutdown hook and signals that start it. {@link Strata} delegates its lifecycle API here.
 *
 * <p>Thread-safe: the state and flags are volatile, the in-flight count is atomic, and shutdown
 * waits for it to reach zero on a {@link Condition} (not a monitor: a virtual thread is not pinned).
 */
final class Lifecycle {

    /** What {@link #start} runs between {@link State#STARTING} and {@link State#RUNNING}. */
    interface Startup {
        void run() throws InterruptedException;
    }

    private final Strata runtime;
    /** The runtime's lock: the start transition and the hook's installation are serialised with resource creation. */
    private final ReentrantLock lock;
    private final Duration shutdownPause;
    private final Duration shutdownBudget;
    /** What the runtime made or owns: shutdown closes it. */
    private final Inventory inventory;
    private final OpenTargets targets;
    private final ReentrantLock inFlightLock = new ReentrantLock();
    private final Condition idle = inFlightLock.newCondition();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile State state = State.NEW;
    private volatile boolean readinessProbed;
    private volatile boolean forced;
    private volatile ShutdownReport shutdownReport;
    private volatile Thread shutdownHook;
    /** Whether the shutdown runs in the JVM's shutdown hook, where the logging backend may be gone. */
    private volatile boolean inJvmShutdown;

    Lifecycle(Strata runtime, ReentrantLock lock, Duration shutdownPause, Duration shutdownBudget,
              Inventory inventory, OpenTargets targets) {
        this.runtime = runtime;
        this.lock = lock;
        this.shutdownPause = shutdownPause;
        this.shutdownBudget = shutdownBudget;
        this.inventory = inventory;
        this.targets = targets;
    }

    State state() {
        return state;
    }

    int inFlight() {
        return inFlight.get();
    }

    void readinessProbed() {
        readinessProbed = true;
    }

    ShutdownReport shutdownReport() {
        return shutdownReport;
    }

    /**
     * Publishes an L4 event on the runtime's bus. In a JVM shutdown the logging backend may already
     * be closed (java.util.logging resets its handlers in its own shutdown hook), so the steps of a
     * SIGTERM shutdown also go to standard error.
     */
    void publish(String dependency, String type, Level level, String message) {
        EventBus events = runtime.events();
        BasicEvent event = null;
        if (events.isActive(level)) {
            event = new BasicEvent(runtime.clock().currentTimeMillis(), dependency, type, Layer.APPLICATION, level, null,
                    message);
            events.publish(event);
        }
        if (inJvmShutdown && type.startsWith("shutdown.")) {
            System.err.println((event != null ? event : new BasicEvent(runtime.clock().currentTimeMillis(), dependency,
                    type, Layer.APPLICATION, level, null, message)).logLine());
            System.err.flush();
        }
    }

    // ------------------------------------------------------------------ start

    /**
     * NEW to STARTING, runs {@code startup}, then RUNNING. When {@code startup} fails, everything
     * created so far is closed and the runtime ends CLOSED.
     */
    void start(Startup startup) {
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("start: the runtime is " + state + "; start() runs once, on a new runtime");
            }
            state = State.STARTING;
        } finally {
            lock.unlock();
        }
        try {
            startup.run();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            abortStart();
            throw new IllegalStateException("start: interrupted while waiting for pools to warm up", interrupted);
        } catch (RuntimeException | Error failure) {
            abortStart();
            throw failure;
        }
        state = State.RUNNING;
    }

    private void abortStart() {
        shutdownStarted.set(true);
        closeResources(new ArrayList<>(), System.nanoTime() + shutdownBudget.toNanos());
        finishClose();
    }

    /** See {@link Strata#installShutdownHook()}. */
    void installShutdownHook() {
        lock.lock();
        try {
            if (shutdownHook == null) {
                Thread hook = new Thread(this::shutdown, "strata-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                shutdownHook = hook;
                SignalRelay.install(this);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A second SIGTERM / SIGINT while the shutdown runs forces the rest. */
    void onSecondSignal(String signal) {
        publish(Strata.RUNTIME, "shutdown.forced", Level.WARNING, "shutdown: second SIG" + signal
                + ": forcing the rest");
        forceShutdown();
    }

    // ------------------------------------------------------------------ admission

    /**
     * Counts one unit of work as in flight, unless the runtime has reached {@code refuseFrom}.
     *
     * @throws ShuttingDownException when it has; nothing is counted then
     */
    void enter(String dependency, State refuseFrom) {
        inFlight.incrementAndGet(); // count first: shutdown reads the state, then waits for the count
        State now = state;
        if (now.compareTo(refuseFrom) >= 0) {
            leave();
            throw new ShuttingDownException(dependency, now);
        }
    }

    /** Ends one unit of work {@link #enter} counted. */
    void leave() {
        if (inFlight.decrementAndGet() == 0 && state.compareTo(State.REFUSING) >= 0) {
            inFlightLock.lock();
            try {
                idle.signalAll();
            } finally {
                inFlightLock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ shutdown

    /** See {@link Strata#shutdown()}. */
    ShutdownReport shutdown() {
        if (!shutdownStarted.compareAndSet(false, true)) {
            try {
                closed.await(shutdownBudget.toNanos() + TimeUnit.SECONDS.toNanos(10), TimeUnit.NANOSECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return shutdownReport;
        }
        inJvmShutdown = shutdownHook != null && Thread.currentThread() == shutdownHook;
        removeShutdownHook();
        long begin = System.nanoTime();
        long end = begin + shutdownBudget.toNanos();
        List<ShutdownStep> steps = new ArrayList<>();
        publish(Strata.RUNTIME, "shutdown.begin", Level.INFO, "shutdown: budget " + Durations.format(shutdownBudget)
                + ", pause " + Durations.format(shutdownPause) + ", " + inFlight.get() + " in flight");

        state = State.DRAINING;
        step(steps, "readiness DOWN", begin, "");

        long t = System.nanoTime();
        if (!readinessProbed) {
            step(steps, "pause", t, "skipped: readiness was never probed");
        } else {
            long pauseEnd = Math.min(end, t + shutdownPause.toNanos());
            waitUntil(pauseEnd, () -> false);
            step(steps, "pause", t, forced ? "cut short (forced)" : "");
        }

        t = System.nanoTime();
        state = State.REFUSING;
        int before = inFlight.get();
        boolean drained = waitUntil(end, () -> inFlight.get() == 0);
        int unfinished = inFlight.get();
        boolean wasForced = !drained;
        step(steps, "refuse new work; wait for in-flight", t, drained
                ? before + " in flight finished"
                : unfinished + " of " + before + " still in flight at " + (forced ? "forced shutdown" : "budget end")
                + "; forcing the rest");

        state = State.STOPPING;
        closeResources(steps, end);
        long total = System.nanoTime() - begin;
        shutdownReport = new ShutdownReport(steps, wasForced, unfinished, total);
        publish(Strata.RUNTIME, "shutdown.end", wasForced ? Level.WARNING : Level.INFO, "shutdown complete in "
                + Durations.format(total) + (wasForced ? " (forced, " + unfinished + " unfinished)" : ""));
        finishClose();
        return shutdownReport;
    }

    /** Cuts the current shutdown's waits short (pause, in-flight work): the rest closes now. */
    void forceShutdown() {
        forced = true;
        inFlightLock.lock();
        try {
            idle.signalAll();
        } finally {
            inFlightLock.unlock();
        }
    }

    boolean awaitTermination(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private boolean waitUntil(long endNanos, BooleanSupplier done) {
        inFlightLock.lock();
        try {
            while (!done.getAsBoolean()) {
                long left = endNanos - System.nanoTime();
                if (left <= 0 || forced) {
                    return done.getAsBoolean();
                }
                idle.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return done.getAsBoolean();
        } finally {
            inFlightLock.unlock();
        }
    }

    private void closeResources(List<ShutdownStep> steps, long end) {
        for (Component c : inventory.closingOrder()) {
            long t = System.nanoTime();
            String detail = "";
            try {
                if (c.instance() instanceof dev.strata.http.StrataHttpClient http) {
                    // the JDK client's close() waits for every open exchange without bound
                    if (!http.close(Duration.ofNanos(Math.max(0L, end - System.nanoTime())))) {
                        detail = "open exchanges aborted at budget end";
                    }
                } else {
                    ((AutoCloseable) c.instance()).close();
                }
            } catch (Exception | Error failure) {
                detail = "failed: " + failure;
            }
            step(steps, "close " + c.kind() + " " + c.dependency(), t, detail);
        }
        targets.releaseAll();
        if (System.nanoTime() - end > 0) {
            publish(Strata.RUNTIME, "shutdown.over-budget", Level.WARNING, "closing took past the shutdown budget of "
                    + Durations.format(shutdownBudget));
        }
    }

    private void finishClose() {
        runtime.stopTrackingFaults();
        targets.closeRuntime();
        state = State.CLOSED;
        closed.countDown();
    }

    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException jvmAlreadyExiting) {
                // the hook is running or about to: it will find the shutdown started and wait for it
            }
        }
    }

    private void step(List<ShutdownStep> steps, String what, long startNanos, String detail) {
        ShutdownStep step = new ShutdownStep(what, System.nanoTime() - startNanos, detail);
        steps.add(step);
        publish(Strata.RUNTIME, "shutdown.step", Level.INFO, "shutdown: " + step);
    }
}
