package dev.strata.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.EventBus;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * 10,000 connections through the proxy under resets, black holes, timeouts and byte limits;
 * afterwards open file descriptors, platform threads and the proxy's own virtual threads are
 * back at their baseline.
 */
class ChaosProxyLeakTest {

    private static final int CONCURRENCY = 64;

    @Test
    void tenThousandConnectionsThroughToxicsLeaveNoDescriptorOrThreadBehind() throws Exception {
        try (EchoServer echo = new EchoServer();
             ChaosProxy proxy = ChaosProxy.builder("leak", echo.address()).events(EventBus.detached()).start()) {
            run(proxy, 200, Mode.PLAIN); // warm up lazily created JDK resources (pollers, carriers)
            settle(proxy, echo);
            long fdBaseline = openFileDescriptors();
            int platformBaseline = ManagementFactory.getThreadMXBean().getThreadCount();
            int proxyThreadBaseline = proxy.liveThreadCount();

            AtomicInteger failures = new AtomicInteger();
            failures.addAndGet(run(proxy, 3_000, Mode.PLAIN));

            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1, 0)); // delay lines: a writer thread per connection
            failures.addAndGet(run(proxy, 1_000, Mode.PLAIN));
            proxy.removeAllToxics();

            proxy.addToxic(Toxic.resetPeer(Direction.UPSTREAM, 0));
            failures.addAndGet(run(proxy, 2_000, Mode.EXPECT_BROKEN));
            proxy.removeAllToxics();

            proxy.addToxic(Toxic.limitData(Direction.DOWNSTREAM, 3));
            failures.addAndGet(run(proxy, 1_500, Mode.EXPECT_BROKEN));
            proxy.removeAllToxics();

            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
            failures.addAndGet(run(proxy, 1_000, Mode.CLIENT_GIVES_UP));
            proxy.removeAllToxics();

            proxy.addToxic(Toxic.idleBlackhole(20));
            failures.addAndGet(run(proxy, 1_500, Mode.BLACKHOLED));
            proxy.removeAllToxics();

            assertThat(failures.get()).as("connections that did not behave as the toxic says").isZero();
            settle(proxy, echo);
            assertThat(proxy.connectionCount()).isZero();
            assertThat(echo.openConnections()).isZero();
            assertThat(proxy.liveThreadCount()).isEqualTo(proxyThreadBaseline);
            assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThanOrEqualTo(platformBaseline + 2);
            assertThat(openFileDescriptors()).isLessThanOrEqualTo(fdBaseline + 4);
            System.out.printf("leak test: fd baseline %d after %d; platform threads baseline %d after %d; proxy threads %d%n",
                    fdBaseline, openFileDescriptors(), platformBaseline,
                    ManagementFactory.getThreadMXBean().getThreadCount(), proxy.liveThreadCount());
        }
    }

    private enum Mode { PLAIN, EXPECT_BROKEN, CLIENT_GIVES_UP, BLACKHOLED }

    /** Runs {@code count} connections, CONCURRENCY at a time; returns how many misbehaved. */
    private static int run(ChaosProxy proxy, int count, Mode mode) throws Exception {
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < CONCURRENCY; i++) {
                workers.add(clients.submit(() -> {
                    while (next.getAndIncrement() < count) {
                        if (!oneConnection(proxy, mode)) {
                            failures.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(120, TimeUnit.SECONDS);
            }
        }
        return failures.get();
    }

    private static boolean oneConnection(ChaosProxy proxy, Mode mode) throws InterruptedException {
        byte[] message = "ping-pong".getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket(proxy.listenAddress().getAddress(), proxy.port())) {
            socket.setSoTimeout(mode == Mode.PLAIN ? 10_000 : 300);
            switch (mode) {
                case PLAIN -> {
                    socket.getOutputStream().write(message);
                    return socket.getInputStream().readNBytes(message.length).length == message.length;
                }
                case EXPECT_BROKEN -> {
                    socket.getOutputStream().write(message);
                    try {
                        return socket.getInputStream().readAllBytes().length < message.length;
                    } catch (IOException resetOrTimeout) {
                        return true;
                    }
                }
                case CLIENT_GIVES_UP -> {
                    socket.getOutputStream().write(message);
                    try {
                        socket.setSoTimeout(30);
                        socket.getInputStream().read();
                        return false; // data or a close came back: the toxic did not hold the connection
                    } catch (IOException timedOut) {
                        return true; // nothing came back; the client closes the held connection
                    }
                }
                case BLACKHOLED -> {
                    socket.getOutputStream().write(message);
                    socket.getInputStream().readNBytes(message.length);
                    Thread.sleep(40);
                    socket.getOutputStream().write(message);
                    try {
                        socket.setSoTimeout(30);
                        socket.getInputStream().read();
                        return false; // an echo or a close: the flow was not black-holed
                    } catch (IOException timedOut) {
                        return true;
                    }
                }
                default -> throw new IllegalStateException(mode.toString());
            }
        } catch (IOException e) {
            return mode != Mode.PLAIN;
        }
    }

    private static void settle(ChaosProxy proxy, EchoServer echo) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((proxy.connectionCount() > 0 || echo.openConnections() > 0
                || proxy.liveThreadCount() > 2) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    private static long openFileDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
