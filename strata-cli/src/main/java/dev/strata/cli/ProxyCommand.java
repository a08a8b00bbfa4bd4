package dev.strata.cli;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.ChaosServer;
import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code strata proxy}: the ChaosProxy server standalone, like {@code toxiproxy-server}. Serves
 * the Toxiproxy-compatible control API, optionally creates proxies from a config file (the
 * JSON array Toxiproxy's {@code -config} and {@code /populate} take), prints every proxy and
 * toxic change, and on Ctrl-C closes every proxy before exiting.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run the ChaosProxy server standalone (Toxiproxy-compatible API).")
final class ProxyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8474",
            description = "Address of the control API (default ${DEFAULT-VALUE}; port 0 picks a free one).")
    private String listen;

    @Option(names = "--allow-remote",
            description = "Allow a --listen address (and proxies' listen addresses) off loopback, e.g. 0.0.0.0 in a container."
                    + " Off by default: the API opens relays to anywhere.")
    private boolean allowRemote;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON array of proxies to create at start: [{\"name\",\"listen\",\"upstream\",\"enabled\",\"toxics\"}].")
    private Path config;

    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    /** Counted down when call() has closed everything and printed its last line. */
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile ChaosServer server;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InetSocketAddress address;
        String document = null;
        try {
            address = ChaosServer.parseAddress("--listen", listen);
            if (config != null) {
                document = Files.readString(config, StandardCharsets.UTF_8);
            }
        } catch (IllegalArgumentException | IOException e) {
            err.println("strata proxy: " + e.getMessage());
            return 2;
        }
        // A bus of its own, so each change is printed exactly once, by this command.
        EventBus events = EventBus.detached();
        events.subscribe(event -> {
            out.println(event.logLine());
            out.flush();
        });
        try {
            server = ChaosServer.start(address, events, allowRemote);
            Thread hook = Thread.ofPlatform().name("strata-proxy-shutdown").unstarted(this::stop);
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                out.println("strata proxy: control API on " + server.uri() + " (Toxiproxy-compatible), " + ChaosServer.VERSION);
                if (document != null) {
                    for (ChaosProxy proxy : server.populate(document)) {
                        out.println("strata proxy: from " + config + ": " + proxy);
                    }
                }
                out.println("strata proxy: press Ctrl-C to stop");
                out.flush();
                started.countDown();
                stopRequested.await();
            } finally {
                server.close();
                out.println("strata proxy: stopped; every proxy closed");
                out.flush();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // we are running inside the hook's shutdown: nothing to remove
                }
            }
            return 0;
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("strata proxy: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            started.countDown(); // never leave a waiter hanging, even when start failed
            finished.countDown();
        }
    }

    /**
     * Asks the server to stop and waits, at most 10 s, until the command has closed every proxy
     * and printed its shutdown line: what Ctrl-C does through the shutdown hook, and what tests
     * call. Waiting for the whole command, not just the server, matters in the hook: the JVM
     * halts as soon as the hook returns, and would cut off the last line.
     */
    void stop() {
        stopRequested.countDown();
        try {
            finished.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The running server once started, or null when start failed; waits at most {@code timeout}. */
    ChaosServer awaitStarted(Duration timeout) throws InterruptedException {
        started.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return server;
    }
}
