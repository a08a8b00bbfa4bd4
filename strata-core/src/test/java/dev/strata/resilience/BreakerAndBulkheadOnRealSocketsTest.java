package dev.strata.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.ManualClock;
import dev.strata.observe.EventBus;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The breaker and the bulkhead in front of real loopback servers: one that resets every
 * connection, one that accepts and never answers, one that answers at once. No socket is mocked.
 */
class BreakerAndBulkheadOnRealSocketsTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    /** A loopback server that counts connections and treats each one according to its behaviour. */
    private static final class Server implements AutoCloseable {
        enum Behaviour { RESET, HANG, ANSWER }

        final ServerSocket socket;
        final AtomicInteger accepted = new AtomicInteger();
        final List<Socket> held = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        Server(Behaviour behaviour) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().name("test-server-" + behaviour).start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        accepted.incrementAndGet();
                        switch (behaviour) {
                            case RESET -> {
                                s.setSoLinger(true, 0); // close with RST: the client sees a reset
                                s.close();
                            }
                            case HANG -> held.add(s);
                            case ANSWER -> {
                                s.getOutputStream().write('k');
                                s.close();
                            }
                        }
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
            for (Socket s : held) {
                s.close();
            }
            acceptor.join(Duration.ofSeconds(30));
        }
    }

    /** One request: connect, read one byte; failures surface as the JDK's own exceptions. */
    private static String request(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout((int) READ_TIMEOUT.toMillis());
            InputStream in = s.getInputStream();
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed before an answer");
            }
            return new String(new byte[] {(byte) b}, StandardCharsets.US_ASCII);
        }
    }

    @Test
    void breakerOpenedByRealResetsStopsConnectingAtAll() throws Exception {
        ManualClock clock = new ManualClock();
        CircuitBreaker breaker = CircuitBreaker.builder("resetting").mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES)
                .failureThreshold(3).openWait(Duration.ofSeconds(10)).clock(clock).events(EventBus.detached()).build();
        try (Server server = new Server(Server.Behaviour.RESET)) {
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> breaker.execute(() -> request(server.port())))
                        .isInstanceOfAny(SocketException.class, EOFException.class);
            }
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            int connectionsWhenOpened = server.accepted.get();
            assertThat(connectionsWhenOpened).isEqualTo(3);

            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> breaker.execute(() -> request(server.port())))
                        .isInstanceOf(CallNotPermittedException.class);
            }
            assertThat(server.accepted.get()).as("no connection while open").isEqualTo(connectionsWhenOpened);

            clock.advance(Duration.ofSeconds(10));
            assertThatThrownBy(() -> breaker.execute(() -> request(server.port())))
                    .isInstanceOfAny(SocketException.class, EOFException.class);
            assertThat(server.accepted.get()).as("exactly one probe").isEqualTo(connectionsWhenOpened + 1);
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        }
    }

    @Test
    void aHungDependencyFillsOnlyItsOwnBulkhead() throws Exception {
        Bulkhead hungSlots = Bulkhead.builder("hung").maxConcurrentCalls(3).events(EventBus.detached()).build();
        Bulkhead healthySlots = Bulkhead.builder("healthy").maxConcurrentCalls(3).events(EventBus.detached()).build();
        try (Server hung = new Server(Server.Behaviour.HANG);
             Server healthy = new Server(Server.Behaviour.ANSWER);
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch allInside = new CountDownLatch(3);
            List<Future<String>> stuck = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 3; i++) {
                stuck.add(callers.submit(() -> hungSlots.execute(() -> {
                    allInside.countDown();
                    return request(hung.port());
                })));
            }
            assertThat(allInside.await(30, TimeUnit.SECONDS)).isTrue();

            assertThatThrownBy(() -> hungSlots.execute(() -> request(hung.port())))
                    .isInstanceOf(BulkheadFullException.class);
            for (int i = 0; i < 10; i++) {
                assertThat(healthySlots.execute(() -> request(healthy.port()))).isEqualTo("k");
            }
            assertThat(healthySlots.inUse()).isZero();

            hung.close(); // the dependency finally drops its connections: the stuck calls fail...
            for (Future<String> f : stuck) {
                assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
            }
            assertThat(hungSlots.inUse()).as("...and their slots come back").isZero();
            assertThat(hungSlots.available()).isEqualTo(3);
        }
    }
}
