package dev.strata.cli;

import dev.strata.shop.Shop;
import dev.strata.shop.ShopFile;
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
            description = "The configuration file (default: examples/shop.yaml, built into the CLI).")
    Path config;

    @Option(names = "--port", paramLabel = "N",
            description = "The order service's port on 127.0.0.1 (default: shop.port of the config; 0 picks a free one).")
    Integer port;

    @Option(names = "--chaos-port", paramLabel = "N",
            description = "The chaos API's port on 127.0.0.1 (default: shop.chaos_port of the config, 8474 as Toxiproxy;"
                    + " 0 picks a free one).")
    Integer chaosPort;

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
        ShopFile file;
        try {
            file = config == null ? ShopFile.bundled() : ShopFile.file(config);
            for (Integer p : new Integer[] {port, chaosPort}) {
                if (p != null && (p < 0 || p > 65_535)) {
                    throw new IllegalArgumentException((p.equals(port) ? "--port" : "--chaos-port") + ": " + p
                            + " is out of range; allowed 0 to 65535");
                }
            }
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("strata shop: " + e.getMessage());
            return 2;
        }
        // Strata's events are logged through java.util.logging by default: one line each, not two.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        Shop started;
        try {
            started = Shop.start(file, port, chaosPort, List.of(), out);
        } catch (IllegalArgumentException badConfig) {
            // A ConfigException lists every problem with its place; nothing was started.
            spec.commandLine().getErr().println("strata shop: " + badConfig.getMessage());
            return 2;
        } catch (java.io.UncheckedIOException cannotListen) {
            // e.g. the chaos port is taken: what was started is closed again
            spec.commandLine().getErr().println("strata shop: " + cannotListen.getMessage());
            return 1;
        }
        // SIGTERM and Ctrl-C are handled here, not by a shutdown hook: the JVM runs all hooks at
        // once, and the embedded PostgreSQL's own hook would stop the database under the requests
        // still in flight. The graceful shutdown runs first; the hooks run when main() exits. (A
        // signal during start-up still ends the JVM the default way, and the hooks stop PostgreSQL.)
        installSignalHandlers();
        Thread hook = Thread.ofPlatform().name("strata-shop-shutdown").unstarted(this::stop);
        Runtime.getRuntime().addShutdownHook(hook);
        try (Shop shop = started) {
            running = shop;
            stopRequested.await();
            // leaving the block closes the shop gracefully
        } finally {
            finished.countDown();
            removeHook(hook);
        }
        return 0;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // we are running inside the hook's shutdown: nothing to remove
        }
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
