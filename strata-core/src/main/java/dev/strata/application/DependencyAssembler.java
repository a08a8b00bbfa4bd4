package dev.strata.application;

import dev.strata.application.Strata.Component;
import dev.strata.internal.Durations;
import dev.strata.jdbc.StrataDataSource;
import dev.strata.pool.PoolConfig;
import dev.strata.resilience.AdaptiveLimit;
import dev.strata.resilience.AdaptiveThrottle;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import dev.strata.resilience.Timeout;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * Assembles the dependencies of one runtime from their validated {@link DependencySettings}: the
 * policies and the pipeline when the runtime is built ({@link #build}), the data source and the
 * attachments once, at {@link Strata#start()} or on first use ({@link #ensureResources}). Everything
 * made is listed in the runtime's {@link Inventory}, in creation order, for its views and shutdown.
 *
 * <p>Creating the resources is all-or-nothing: when a step fails (a duplicate pool in strict mode,
 * the data source, an attachment's factory), what was made so far for that dependency is closed and
 * unlisted again and its pool target freed, so a later attempt starts afresh.
 */
final class DependencyAssembler {

    private final Strata runtime;
    /** The runtime's lock: resources are created under it, once per dependency. */
    private final ReentrantLock lock;
    private final Inventory inventory;
    private final OpenTargets targets;

    DependencyAssembler(Strata runtime, ReentrantLock lock, Inventory inventory, OpenTargets targets) {
        this.runtime = runtime;
        this.lock = lock;
        this.inventory = inventory;
        this.targets = targets;
    }

    /** The dependency's policies and pipeline, on the runtime's clock and bus; its resources come later. */
    Dependency build(DependencySettings s) {
        String name = s.name();
        CircuitBreaker breaker = null;
        Bulkhead bulkhead = null;
        RetryBudget retryBudget = null;
        Retry retry = null;
        if (s.breaker != null) {
            breaker = s.breaker.apply(CircuitBreaker.builder(name)).clock(runtime.clock()).events(runtime.events()).build();
            inventory.add(new Component(name, "circuit-breaker", breaker));
        }
        if (s.bulkhead != null) {
            bulkhead = s.bulkhead.apply(Bulkhead.builder(name)).clock(runtime.clock()).events(runtime.events()).build();
            inventory.add(new Component(name, "bulkhead", bulkhead));
        }
        if (s.retry != null) {
            retry = s.retry.apply(Retry.builder()).build();
        }
        if (s.retryBudget != null && (retry != null || s.hedge != null)) {
            retryBudget = s.retryBudget.apply(RetryBudget.builder()).name(name).clock(runtime.clock())
                    .events(runtime.events()).build();
            inventory.add(new Component(name, "retry-budget", retryBudget));
        }
        Pipeline.Builder p = Pipeline.builder(name).clock(runtime.clock()).events(runtime.events());
        if (s.deadline != null) {
            p.deadline(s.deadline);
        }
        if (s.timeout != null) {
            p.timeout(Timeout.of(s.timeout));
        }
        if (retry != null) {
            p.retry(retry);
        }
        if (retryBudget != null) {
            p.retryBudget(retryBudget);
        }
        if (breaker != null) {
            p.circuitBreaker(breaker);
        }
        if (bulkhead != null) {
            p.bulkhead(bulkhead);
        }
        if (s.adaptiveLimit != null) {
            AdaptiveLimit limit = s.adaptiveLimit.apply(AdaptiveLimit.builder(name)).clock(runtime.clock())
                    .events(runtime.events()).build();
            p.adaptiveLimit(limit);
            inventory.add(new Component(name, "adaptive-limit", limit));
        }
        if (s.throttle != null) {
            AdaptiveThrottle throttle = s.throttle.apply(AdaptiveThrottle.builder(name)).clock(runtime.clock())
                    .events(runtime.events()).build();
            p.throttle(throttle);
            inventory.add(new Component(name, "throttle", throttle));
        }
        if (s.hedge != null) {
            p.hedge(s.hedge);
        }
        if (s.rateLimiter != null) {
            p.rateLimiter(s.rateLimiter, s.rateLimitWait);
            inventory.add(new Component(name, "rate-limiter", s.rateLimiter));
        }
        if (s.fallback != null) {
            p.fallback(s.fallback);
        }
        if (s.pipeline != null) {
            p = s.pipeline.apply(p);
        }
        Pipeline pipeline = p.build();
        inventory.add(new Component(name, "pipeline", pipeline));
        return new Dependency(runtime, s, pipeline, breaker, bulkhead, retryBudget, retry);
    }

    /**
     * Creates the dependency's data source and attachments once, or nothing.
     *
     * @throws ShuttingDownException when the runtime is closing its pools
     * @throws DuplicatePoolException in strict mode, when the pool's target already has an open pool
     */
    void ensureResources(Dependency d) {
        if (d.resourcesCreated) {
            return;
        }
        StackTraceElement[] site = new Throwable().getStackTrace();
        lock.lock();
        try {
            if (d.resourcesCreated) {
                return;
            }
            if (runtime.state().compareTo(Strata.State.STOPPING) >= 0) {
                throw new ShuttingDownException(d.name(), runtime.state());
            }
            List<Component> made = new ArrayList<>();
            PoolTarget target = null;
            OpenTargets.Claim claim = null;
            try {
                DependencySettings s = d.settings;
                if (s.jdbcUrl != null) {
                    target = d.poolTarget().orElseThrow();
                    claim = targets.claim(d.name(), target, site);
                    StrataDataSource dataSource = dataSource(d.name(), s);
                    d.dataSource = dataSource;
                    add(made, new Component(d.name(), "data-source", dataSource));
                    runtime.publish(d.name(), "runtime.pool-created", Level.INFO, "pool created for " + target + " (max "
                            + dataSource.pool().config().maxSize() + ", min idle " + dataSource.pool().config().minIdle() + ")");
                }
                d.attachments = attachments(d, made);
                d.resourcesCreated = true;
            } catch (RuntimeException | Error failure) {
                undo(d, made, target, claim, failure);
                throw failure;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lists a pool made outside the runtime under {@code dependency}, once its target is claimed.
     *
     * @throws DuplicatePoolException in strict mode when the target already has an open pool
     */
    void registerPool(String dependency, PoolTarget target, AutoCloseable pool) {
        lock.lock();
        try {
            targets.claim(dependency, target, new Throwable().getStackTrace());
            inventory.add(new Component(dependency, "pool", pool));
        } finally {
            lock.unlock();
        }
    }

    /** Records each fault reported on the runtime's bus on the dependency that reported it, until closed. */
    AutoCloseable trackFaults(Map<String, Dependency> dependencies) {
        return runtime.events().subscribe(event -> {
            if (event.fault() != null) {
                Dependency d = dependencies.get(event.dependency());
                if (d != null) {
                    d.recordFault(event.fault(), event.epochMillis());
                }
            }
        });
    }

    /**
     * Waits, within {@code timeout} for all of them together, for the required dependencies' pools
     * to reach their minimum idle size; publishes {@code runtime.not-warm} for each that does not.
     */
    void awaitWarm(Collection<Dependency> dependencies, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (Dependency d : dependencies) {
            if (d.dataSource != null && d.required()) {
                d.provedReachable(); // with min_idle 0 nothing connects by itself: start the reachability probe now
                long left = Math.max(0L, end - System.nanoTime());
                if (!d.dataSource.pool().awaitWarm(Duration.ofNanos(left))) {
                    runtime.publish(d.name(), "runtime.not-warm", Level.WARNING, "pool did not reach its minimum of "
                            + d.dataSource.pool().config().minIdle() + " idle connections within "
                            + Durations.format(timeout) + " (" + d.dataSource.stats()
                            + "); readiness stays down until it does");
                }
            }
        }
    }

    private StrataDataSource dataSource(String name, DependencySettings s) {
        StrataDataSource.Builder ds = StrataDataSource.builder(name, s.jdbcUrl);
        if (s.user != null) {
            ds.user(s.user);
        }
        if (s.password != null) {
            ds.password(s.password.reveal());
        }
        s.driverProperties.forEach(ds::property);
        if (s.validationQuery != null) {
            ds.validationQuery(s.validationQuery);
        }
        ds.pool(poolSettings(s));
        return ds.build();
    }

    private UnaryOperator<PoolConfig.Builder> poolSettings(DependencySettings s) {
        return b -> {
            PoolConfig.Builder configured = s.pool == null ? b : s.pool.apply(b);
            return configured.clock(runtime.clock()).events(runtime.events());
        };
    }

    /** Every attachment the dependency's factories make, by key, in creation order (a factory may make none). */
    private Map<AttachmentKey<?>, Object> attachments(Dependency d, List<Component> made) {
        Map<AttachmentKey<?>, Object> attachments = new LinkedHashMap<>();
        for (Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>> e : d.settings.attachments.entrySet()) {
            Object attachment;
            try {
                attachment = e.getValue().create(d);
            } catch (RuntimeException failure) {
                throw failure;
            } catch (Exception failure) {
                throw new IllegalStateException("dependency '" + d.name() + "': attachment '" + e.getKey().name()
                        + "' could not be created: " + failure.getMessage(), failure);
            }
            if (attachment != null) {
                attachments.put(e.getKey(), e.getKey().type().cast(attachment));
                add(made, new Component(d.name(), e.getKey().name(), attachment));
            }
        }
        return attachments;
    }

    private void add(List<Component> made, Component c) {
        made.add(c);
        inventory.add(c);
    }

    /** Closes and unlists what {@link #ensureResources} made before {@code failure}, in shutdown's order. */
    private void undo(Dependency d, List<Component> made, PoolTarget target, OpenTargets.Claim claim, Throwable failure) {
        inventory.removeAll(made);
        for (Component c : Inventory.closingOrder(made)) {
            try {
                ((AutoCloseable) c.instance()).close();
            } catch (Exception | Error closing) {
                failure.addSuppressed(closing);
            }
        }
        d.dataSource = null;
        targets.release(target, claim);
    }
}
