package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.application.StrataBuilder;
import dev.strata.config.ConfigFileWatcher;
import dev.strata.config.ConfigReloader;
import dev.strata.config.LoadedConfig;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Live reload of the Strata runtime in Spring, without Spring Cloud or {@code @RefreshScope}:
 * {@link #reload()} reads the configuration again exactly as at start ({@code strata.config-file}
 * from disk, then the {@code strata.*} keys of the {@code Environment} as they are now) and hands
 * it to {@link Strata#reload}, all or nothing. Timeouts, deadlines, retries, breaker thresholds,
 * bulkhead limits and retry budgets change while calls run; pool settings, URLs, added or removed
 * dependencies and policies switched on or off are refused, each with the dependency, key, both
 * values and "needs a restart"; a file with a problem is refused whole, located. Each reload
 * publishes one event on the runtime's bus ({@code runtime.reloaded} or
 * {@code runtime.reload-refused}), which is logged.
 *
 * <p>Triggers: {@code POST /actuator/strata/reload} ({@link StrataEndpoint}), and, when
 * {@code strata.config-file} is set and {@code strata.spring.watch-config-file} is not
 * {@code false}, every change of that file ({@link ConfigFileWatcher}), from start to stop.
 * {@code application.yml} itself is read once by Spring; a change there is seen by a reload only
 * if a property source the application refreshes carries it.
 */
public final class StrataReloader implements SmartLifecycle {

    private static final Logger LOG = System.getLogger(StrataReloader.class.getName());

    private final ConfigurableEnvironment environment;
    private final ConfigReloader reloader;
    private final ReentrantLock lock = new ReentrantLock();
    private ConfigFileWatcher watcher;
    private volatile boolean running;

    /**
     * Reloads {@code strata}, built from {@code loaded}; {@code builder} makes a runtime's builder
     * from a configuration as the starter did at start (shutdown timings, customizers).
     */
    public StrataReloader(Strata strata, LoadedConfig loaded, ConfigurableEnvironment environment,
                          Function<LoadedConfig, StrataBuilder> builder) {
        this.environment = environment;
        this.reloader = new ConfigReloader(strata, loaded, builder);
    }

    /** Reads the configuration again (file and Environment) and reloads; never throws for a bad one. */
    public ConfigReloader.Outcome reload() {
        return reloader.reload(() -> SpringConfigSource.load(environment));
    }

    /** The file watched, when one is. */
    public Optional<Path> watchedFile() {
        ConfigFileWatcher w = watcher;
        return w == null ? Optional.empty() : Optional.of(w.file());
    }

    @Override
    public void start() {
        lock.lock();
        try {
            if (running) {
                return;
            }
            String file = environment.getProperty(SpringConfigSource.CONFIG_FILE);
            boolean watch = environment.getProperty(SpringConfigSource.SPRING_PREFIX + "watch-config-file", Boolean.class, true);
            if (file != null && !file.isBlank() && watch) {
                try {
                    watcher = ConfigFileWatcher.start(Path.of(file.strip()), text -> reload(),
                            failure -> LOG.log(Level.WARNING, "strata: reloading " + file + " failed", failure));
                } catch (IOException cannotWatch) {
                    LOG.log(Level.WARNING, "strata: " + file + " cannot be watched; POST /actuator/strata/reload still reloads it: "
                            + cannotWatch);
                }
            }
            running = true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void stop() {
        lock.lock();
        try {
            running = false;
            if (watcher != null) {
                try {
                    watcher.close();
                } catch (IOException e) {
                    LOG.log(Level.DEBUG, "strata: closing the config watcher: " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                watcher = null;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts after the runtime, stops before it: no reload races the runtime's start or shutdown. */
    @Override
    public int getPhase() {
        return StrataLifecycle.PHASE + 1;
    }
}
