package dev.strata.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every toxic against a real echo server over real loopback sockets. */
class ChaosProxyTest {

    private EchoServer echo;
    private ChaosProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = ChaosProxy.builder("echo", echo.address()).events(EventBus.detached()).start();
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
        awaitTrue(() -> proxy.connectionCount() == 0 && proxy.liveThreadCount() == 0, 5_000);
        assertThat(proxy.connectionCount()).isZero();
        assertThat(proxy.liveThreadCount()).as("proxy threads after close").isZero();
    }

    @Test
    void forwardsBytesBothWaysWithoutToxics() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "hello")).isEqualTo("hello");
            assertThat(roundTrip(client, "again")).isEqualTo("again");
        }
        assertThat(proxy.listenAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(proxy.port()).isPositive();
    }

    @Test
    void latencyDelaysEachChunkInItsDirection() throws IOException {
        proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 500, 0));
        try (Socket client = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(client, "slow")).isEqualTo("slow");
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(490);
        }
        proxy.removeToxic("latency_downstream");
        try (Socket client = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(client, "fast")).isEqualTo("fast");
            assertThat(millisSince(start)).as("generous: the machine is shared").isLessThan(450);
        }
    }

    @Test
    void latencyDelaysEachChunkFromItsArrivalWithoutQueueingTheDelays() throws Exception {
        proxy.addToxic(Toxic.latency(Direction.UPSTREAM, 300, 0));
        try (Socket client = connect()) {
            long start = System.nanoTime();
            for (int i = 0; i < 8; i++) { // eight separate chunks, 20 ms apart
                client.getOutputStream().write(("m" + i).getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(20);
            }
            String echoed = new String(client.getInputStream().readNBytes(16), StandardCharsets.US_ASCII);
            assertThat(echoed).isEqualTo("m0m1m2m3m4m5m6m7");
            // 300 ms after the last chunk was sent, not 8 x 300 ms as a queue of delays would take
            assertThat(millisSince(start)).isBetween(440L, 1_500L);
            assertThat(roundTrip(client, "end")).isEqualTo("end");
        }
    }

    @Test
    void toxicsChangeWhileTrafficFlowsOnAnOpenConnection() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "before")).isEqualTo("before");
            proxy.addToxic(Toxic.latency(Direction.UPSTREAM, 500, 0).named("lag"));
            long start = System.nanoTime();
            assertThat(roundTrip(client, "during")).isEqualTo("during");
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(490);

            proxy.updateToxic(proxy.toxic("lag").orElseThrow().withAttributes(Map.of("latency", 0L)));
            assertThat(proxy.toxic("lag").orElseThrow().attribute("latency")).isZero();
            start = System.nanoTime();
            assertThat(roundTrip(client, "after")).isEqualTo("after");
            assertThat(millisSince(start)).as("generous: the machine is shared").isLessThan(450);
        }
    }

    @Test
    void resetPeerSendsTcpRstWhenDataArrives() throws Exception {
        proxy.addToxic(Toxic.resetPeer(Direction.UPSTREAM, 100));
        try (Socket client = connect()) {
            client.getOutputStream().write("doomed".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(80);
        }
        awaitTrue(() -> echo.openConnections() == 0, 5_000);
        assertThat(echo.openConnections()).as("upstream side released too").isZero();
    }

    @Test
    void timeoutZeroDropsDataAndHoldsTheConnectionOpenUntilRemoved() throws IOException {
        proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
        try (Socket client = connect()) {
            client.setSoTimeout(400);
            client.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);

            proxy.removeToxic("timeout_downstream");
            client.setSoTimeout(5_000);
            assertThat(roundTrip(client, "back")).isEqualTo("back");
        }
    }

    @Test
    void timeoutClosesTheConnectionAfterItsTime() throws IOException {
        proxy.addToxic(Toxic.timeout(Direction.UPSTREAM, 300));
        try (Socket client = connect()) {
            long start = System.nanoTime();
            client.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.getInputStream().read()).as("EOF, nothing echoed").isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void idleCloseSendsFinToAConnectionIdleTooLong() throws IOException {
        proxy.addToxic(Toxic.idleClose(300, false));
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "busy")).isEqualTo("busy");
            long start = System.nanoTime();
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void idleCloseCanResetInstead() throws IOException {
        proxy.addToxic(Toxic.idleClose(200, true));
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "busy")).isEqualTo("busy");
            assertThatThrownBy(() -> client.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void idleCloseSparesAConnectionThatKeepsTalking() throws Exception {
        proxy.addToxic(Toxic.idleClose(400, false));
        try (Socket client = connect()) {
            for (int i = 0; i < 6; i++) {
                Thread.sleep(100);
                assertThat(roundTrip(client, "ping" + i)).isEqualTo("ping" + i);
            }
        }
    }

    @Test
    void idleBlackholeSilentlyDropsAnIdleFlowWithoutClosingIt() throws Exception {
        proxy.addToxic(Toxic.idleBlackhole(300));
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "fresh")).isEqualTo("fresh");
            Thread.sleep(450);
            client.setSoTimeout(500);
            client.getOutputStream().write("into the void".getBytes(StandardCharsets.US_ASCII));
            // Neither an answer nor a close: the read just times out, as behind a NAT that forgot us.
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.connectionCount()).isEqualTo(1);
            assertThat(echo.openConnections()).as("the server still believes in the connection").isEqualTo(1);
        }
        try (Socket fresh = connect()) {
            assertThat(roundTrip(fresh, "new flow")).isEqualTo("new flow");
        }
    }

    @Test
    void closeConnectionsEndsPoisonedFlowsOnBothSidesAndKeepsListening() throws Exception {
        proxy.addToxic(Toxic.idleBlackhole(100));
        try (Socket blackholed = connect()) {
            assertThat(roundTrip(blackholed, "fresh")).isEqualTo("fresh");
            Thread.sleep(250);
            blackholed.setSoTimeout(300);
            blackholed.getOutputStream().write("void".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> blackholed.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.removeToxic("idle_blackhole_downstream");
            assertThatThrownBy(() -> blackholed.getInputStream().read()).as("removing the toxic does not heal the flow")
                    .isInstanceOf(SocketTimeoutException.class);

            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
            try (Socket held = connect()) {
                held.setSoTimeout(300);
                held.getOutputStream().write("dropped".getBytes(StandardCharsets.US_ASCII));
                assertThatThrownBy(() -> held.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                proxy.removeToxic("timeout_downstream");
                awaitTrue(() -> echo.openConnections() == 2, 5_000);
                assertThat(echo.openConnections()).as("the server holds both flows").isEqualTo(2);

                assertThat(proxy.closeConnections()).isEqualTo(2);

                blackholed.setSoTimeout(5_000);
                held.setSoTimeout(5_000);
                assertThat(blackholed.getInputStream().read()).as("client side closed with a FIN").isEqualTo(-1);
                assertThat(held.getInputStream().read()).isEqualTo(-1);
            }
            awaitTrue(() -> echo.openConnections() == 0 && proxy.connectionCount() == 0, 5_000);
            assertThat(echo.openConnections()).as("upstream side closed too").isZero();
            assertThat(proxy.connectionCount()).isZero();
        }
        awaitTrue(() -> proxy.liveThreadCount() == 2, 5_000);
        assertThat(proxy.liveThreadCount()).as("only the accept loop and the timer are left").isEqualTo(2);
        assertThat(proxy.isEnabled()).isTrue();
        try (Socket fresh = connect()) {
            assertThat(roundTrip(fresh, "still listening")).isEqualTo("still listening");
        }
    }

    @Test
    void limitDataClosesAfterTheGivenBytes() throws IOException {
        proxy.addToxic(Toxic.limitData(Direction.DOWNSTREAM, 5));
        try (Socket client = connect()) {
            client.getOutputStream().write("0123456789".getBytes(StandardCharsets.US_ASCII));
            byte[] all = client.getInputStream().readAllBytes();
            assertThat(new String(all, StandardCharsets.US_ASCII)).isEqualTo("01234");
        }
    }

    @Test
    void slicerSplitsDataIntoSmallDelayedChunks() throws IOException {
        proxy.addToxic(Toxic.slicer(Direction.DOWNSTREAM, 20, 0, 100_000)); // 20-byte slices, 100 ms apart
        try (Socket client = connect()) {
            long start = System.nanoTime();
            client.getOutputStream().write("x".repeat(100).getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[200];
            int first = in.read(buffer);
            assertThat(first).as("the first read sees only the first slices").isPositive().isLessThan(100);
            int total = first + in.readNBytes(buffer, 0, 100 - first);
            assertThat(total).isEqualTo(100);
            assertThat(millisSince(start)).as("4 gaps of 100 ms").isGreaterThanOrEqualTo(390);
        }
    }

    @Test
    void bandwidthLimitsThroughput() throws IOException {
        proxy.addToxic(Toxic.bandwidth(Direction.DOWNSTREAM, 50)); // 50 KB/s
        try (Socket client = connect()) {
            byte[] payload = new byte[25_000];
            long start = System.nanoTime();
            client.getOutputStream().write(payload);
            client.getInputStream().readNBytes(payload.length);
            assertThat(millisSince(start)).as("25 KB at 50 KB/s").isGreaterThanOrEqualTo(400);
        }
    }

    @Test
    void slowCloseDelaysTheFin() throws IOException {
        proxy.addToxic(Toxic.slowClose(Direction.DOWNSTREAM, 300));
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "bye")).isEqualTo("bye");
            long start = System.nanoTime();
            client.shutdownOutput(); // the echo server closes in turn; its FIN is held back
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void toxicityIsRolledOncePerConnection() throws IOException {
        proxy.addToxic(Toxic.resetPeer(Direction.UPSTREAM, 0).withToxicity(0.5));
        int reset = 0;
        for (int i = 0; i < 200; i++) {
            try (Socket client = connect()) {
                if (!"roll".equals(roundTripOrNull(client, "roll"))) {
                    reset++;
                    continue;
                }
                // a spared connection stays spared: the roll is per connection, not per chunk
                for (int j = 0; j < 3; j++) {
                    assertThat(roundTrip(client, "again")).isEqualTo("again");
                }
            }
        }
        assertThat(reset).as("about half of 200 connections").isBetween(60, 140);
    }

    @Test
    void trafficSurvivesToxicsChurningUnderIt() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean churn = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread churner = Thread.ofVirtual().start(() -> {
            int i = 0;
            while (churn.get()) {
                Toxic toxic = (i++ % 2 == 0 ? Toxic.latency(Direction.DOWNSTREAM, 1, 1) : Toxic.slicer(Direction.UPSTREAM, 7, 3, 50))
                        .named("churn");
                proxy.addToxic(toxic);
                proxy.removeToxic("churn");
            }
        });
        try (java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int id = c;
                results.add(clients.submit(() -> {
                    try (Socket client = connect()) {
                        for (int i = 0; i < 100; i++) {
                            String message = "client-" + id + "-message-" + i + "|";
                            assertThat(roundTrip(client, message)).isEqualTo(message);
                        }
                    }
                    return 100;
                }));
            }
            for (java.util.concurrent.Future<Integer> result : results) {
                assertThat(result.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(100);
            }
        } finally {
            churn.set(false);
            churner.join();
        }
    }

    @Test
    void toxicityZeroLeavesConnectionsAlone() throws IOException {
        proxy.addToxic(Toxic.resetPeer(Direction.UPSTREAM, 0).withToxicity(0.0));
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "spared")).isEqualTo("spared");
        }
    }

    @Test
    void disableRefusesNewConnectionsAndClosesOpenOnes() throws Exception {
        Socket open = connect();
        assertThat(roundTrip(open, "hi")).isEqualTo("hi");
        proxy.disable();
        assertThat(proxy.isEnabled()).isFalse();
        assertThat(open.getInputStream().read()).isEqualTo(-1);
        open.close();
        InetSocketAddress address = proxy.listenAddress();
        assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
                .isInstanceOf(ConnectException.class);

        proxy.enable();
        assertThat(proxy.listenAddress()).isEqualTo(address);
        try (Socket again = connect()) {
            assertThat(roundTrip(again, "back")).isEqualTo("back");
        }
    }

    @Test
    void toxicManagementRejectsDuplicatesAndUnknownNames() {
        proxy.addToxic(Toxic.latency(Direction.UPSTREAM, 10, 0));
        assertThatThrownBy(() -> proxy.addToxic(Toxic.latency(Direction.UPSTREAM, 20, 0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("latency_upstream");
        assertThatThrownBy(() -> proxy.removeToxic("nope")).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> proxy.updateToxic(Toxic.timeout(Direction.UPSTREAM, 1)))
                .isInstanceOf(NoSuchElementException.class);
        assertThat(proxy.toxics()).extracting(Toxic::name).containsExactly("latency_upstream");
        proxy.removeAllToxics();
        assertThat(proxy.toxics()).isEmpty();
    }

    @Test
    void upstreamDownClosesTheClientAtOnce() throws Exception {
        InetSocketAddress dead;
        try (EchoServer gone = new EchoServer()) {
            dead = gone.address();
        }
        proxy.setUpstream(dead);
        try (Socket client = connect()) {
            int first;
            try {
                first = client.getInputStream().read();
            } catch (SocketException reset) {
                first = -1;
            }
            assertThat(first).isEqualTo(-1);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(proxy.listenAddress().getAddress(), proxy.port());
        socket.setSoTimeout(5_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    static String roundTrip(Socket socket, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(bytes);
        byte[] answer = socket.getInputStream().readNBytes(bytes.length);
        return new String(answer, StandardCharsets.US_ASCII);
    }

    /** The echoed message, or null when the connection was reset or closed instead. */
    static String roundTripOrNull(Socket socket, String message) {
        try {
            String answer = roundTrip(socket, message);
            return answer.length() == message.length() ? answer : null;
        } catch (IOException resetOrClosed) {
            return null;
        }
    }

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }
}
