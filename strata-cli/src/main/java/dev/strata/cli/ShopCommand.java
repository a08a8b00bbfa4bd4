package dev.strata.cli;

import dev.strata.cli.shop.Shop;
import dev.strata.cli.shop.ShopConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code strata shop}: the demo's order service as a long-running process on 127.0.0.1, with its
 * PostgreSQL and simulated downstreams each behind a chaos proxy, the health endpoints, and the
 * Toxiproxy-compatible chaos API. Prints where everything listens; Ctrl-C or SIGTERM shuts it down
 * gracefully (readiness first, then in-flight requests finish, then everything closes).
 */
@Command(name = "shop", mixinStandardHelpOptions = true,
        description = {"Run the order service on Strata as a long-running process, with chaos proxies on its dependencies.",
                "Starts PostgreSQL and three simulated HTTP services on 127.0.0.1; Ctrl-C stops it gracefully."})
final class ShopCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "The shop's configuration (default: the settings of examples/shop.yaml).")
    Path config;

    @Option(names = "--port", paramLabel = "N", description = "The order service's port (overrides the config; 0 picks a free one).")
    Integer port;

    @Option(names = "--chaos-port", paramLabel = "N",
            description = "The chaos API's port (default ${DEFAULT-VALUE}, as Toxiproxy; 0 picks a free one).",
            defaultValue = "" + ShopConfig.TOXIPROXY_PORT)
    int chaosPort;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    /** Counted down when call() has shut the shop down and printed its last line. */
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile Shop running;

    ShopCommand() {
        this(System.out);
    }

    ShopCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        ShopConfig settings;
        try {
            settings = ShopConfig.defaults().withChaosPort(chaosPort);
            if (config != null) {
                throw new IllegalArgumentException("--config: '" + config + "' cannot be read yet: the YAML loader"
                        + " (strata-config) is not part of this build; the built-in settings are those of examples/shop.yaml");
            }
            if (port != null) {
                settings = settings.withPort(port);
            }
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("strata shop: " + e.getMessage());
            return 2;
        }
        // Strata's events are logged through java.util.logging by default: one line each, not two.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        // SIGTERM and Ctrl-C are handled here, not by a shutdown hook: the JVM runs all hooks at
        // once, and the embedded PostgreSQL's own hook would stop the database under the requests
        // still in flight. The graceful shutdown runs first; the hooks run when main() exits.
        installSignalHandlers();
        Thread hook = Thread.ofPlatform().name("strata-shop-shutdown").unstarted(this::stop);
        Runtime.getRuntime().addShutdownHook(hook);
        try (Shop shop = Shop.start(settings, List.of(), out)) {
            running = shop;
            stopRequested.await();
            // leaving the block closes the shop gracefully
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // we are running inside the hook's shutdown: nothing to remove
            }
        }
        return 0;
    }

    private void installSignalHandlers() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), this::onSignal);
            } catch (IllegalArgumentException unsupported) {
                // no such signal here (or the JVM reserves it): the shutdown hook still stops the shop
            }
        }
    }

    /** The first signal starts the graceful shutdown; a second one forces the exit, skipping what is left. */
    private void onSignal(sun.misc.Signal signal) {
        if (stopRequested.getCount() == 0) {
            out.println("strata shop: second SIG" + signal.getName() + ": forcing the shutdown (no more waiting)");
            out.flush();
            Shop shop = running;
            if (shop != null) {
                shop.forceShutdown();
            }
            return;
        }
        out.println("strata shop: SIG" + signal.getName() + " received: shutting down gracefully");
        out.flush();
        stopRequested.countDown();
    }

    /**
     * Asks the shop to stop and waits until it has shut down and printed its last line: what
     * Ctrl-C and SIGTERM do through the shutdown hook (the JVM halts as soon as the hook returns).
     * Bounded by the drain pause and the shutdown budget plus a minute for closing resources.
     */
    void stop() {
        stopRequested.countDown();
        try {
            finished.await(Duration.ofMinutes(16).toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
