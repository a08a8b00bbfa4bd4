package dev.strata.chaos;

import static dev.strata.chaos.ChaosProxyTest.millisSince;
import static dev.strata.chaos.ChaosProxyTest.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import eu.rekawek.toxiproxy.model.toxic.Latency;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The unmodified official client {@code eu.rekawek.toxiproxy:toxiproxy-java:2.1.11} drives a
 * {@link ChaosServer}; every toxic it supports is checked for its effect on real bytes and
 * timings through a real echo server, not only for the HTTP answer.
 */
class ToxiproxyClientCompatibilityTest {

    private EchoServer echo;
    private ChaosServer server;
    private ToxiproxyClient client;
    private Proxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        server = ChaosServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), EventBus.detached());
        client = new ToxiproxyClient("127.0.0.1", server.address().getPort());
        proxy = client.createProxy("echo", "127.0.0.1:0", "127.0.0.1:" + echo.address().getPort());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        echo.close();
    }

    @Test
    void createsListsAndFindsProxies() throws IOException {
        assertThat(proxy.getName()).isEqualTo("echo");
        assertThat(proxy.getListen()).startsWith("127.0.0.1:").doesNotEndWith(":0");
        assertThat(proxy.isEnabled()).isTrue();
        assertThat(client.getProxies()).extracting(Proxy::getName).containsExactly("echo");
        assertThat(client.getProxy("echo").getUpstream()).isEqualTo("127.0.0.1:" + echo.address().getPort());
        assertThat(client.getProxyOrNull("missing")).isNull();
        assertThat(client.version()).contains("strata");
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "through")).isEqualTo("through");
        }
    }

    @Test
    void latencyAndItsUpdatesChangeRoundTripTime() throws IOException {
        Latency latency = proxy.toxics().latency("lag", ToxicDirection.DOWNSTREAM, 500);
        assertThat(latency.getLatency()).isEqualTo(500);
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(socket, "slow")).isEqualTo("slow");
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(490);

            latency.setLatency(0).setJitter(0);
            assertThat(proxy.toxics().get("lag", Latency.class).getLatency()).isZero();
            start = System.nanoTime();
            assertThat(roundTrip(socket, "fast")).isEqualTo("fast");
            assertThat(millisSince(start)).as("generous: the machine is shared").isLessThan(450);
        }
    }

    @Test
    void toxicityZeroSparesConnectionsAndRemoveHeals() throws IOException {
        proxy.toxics().resetPeer("reset", ToxicDirection.UPSTREAM, 0).setToxicity(0.0f);
        assertThat(proxy.toxics().get("reset").getToxicity()).isEqualTo(0.0f);
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "spared")).isEqualTo("spared");
        }
        proxy.toxics().get("reset").setToxicity(1.0f);
        try (Socket socket = connect()) {
            socket.getOutputStream().write('x');
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketException.class);
        }
        proxy.toxics().get("reset").remove();
        assertThat(proxy.toxics().getAll()).isEmpty();
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "healed")).isEqualTo("healed");
        }
    }

    @Test
    void bandwidthThrottles() throws IOException {
        proxy.toxics().bandwidth("narrow", ToxicDirection.DOWNSTREAM, 50);
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write(new byte[25_000]);
            assertThat(socket.getInputStream().readNBytes(25_000)).hasSize(25_000);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(400);
        }
    }

    @Test
    void slowCloseDelaysTheClose() throws IOException {
        proxy.toxics().slowClose("linger", ToxicDirection.DOWNSTREAM, 300);
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "bye")).isEqualTo("bye");
            long start = System.nanoTime();
            socket.shutdownOutput();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void timeoutDropsDataThenCloses() throws IOException {
        proxy.toxics().timeout("hang", ToxicDirection.DOWNSTREAM, 300);
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void slicerDeliversInPieces() throws IOException {
        proxy.toxics().slicer("slices", ToxicDirection.DOWNSTREAM, 20, 100_000); // 20 bytes, 100 ms apart
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write(new byte[100]);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[200];
            int first = in.read(buffer);
            assertThat(first).isPositive().isLessThan(100);
            assertThat(first + in.readNBytes(buffer, 0, 100 - first)).isEqualTo(100);
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(390);
        }
    }

    @Test
    void limitDataCutsTheStream() throws IOException {
        proxy.toxics().limitData("cap", ToxicDirection.DOWNSTREAM, 5);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("0123456789".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("01234");
        }
    }

    @Test
    void resetPeerResets() throws IOException {
        proxy.toxics().resetPeer("rst", ToxicDirection.UPSTREAM, 100);
        try (Socket socket = connect()) {
            socket.getOutputStream().write('x');
            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
    }

    @Test
    void disableEnableDeleteAndReset() throws IOException {
        InetSocketAddress listen = listenAddress();
        proxy.disable();
        assertThat(client.getProxy("echo").isEnabled()).isFalse();
        assertThatThrownBy(() -> new Socket(listen.getAddress(), listen.getPort()).close()).isInstanceOf(ConnectException.class);
        proxy.enable();
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "on")).isEqualTo("on");
        }

        proxy.toxics().timeout("hold", ToxicDirection.DOWNSTREAM, 0);
        proxy.disable();
        client.reset();
        assertThat(client.getProxy("echo").isEnabled()).isTrue();
        assertThat(proxy.toxics().getAll()).isEmpty();
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "reset")).isEqualTo("reset");
        }

        proxy.delete();
        assertThat(client.getProxies()).isEmpty();
        assertThatThrownBy(() -> new Socket(listen.getAddress(), listen.getPort()).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void upstreamAndListenCanBeChanged() throws IOException {
        try (EchoServer other = new EchoServer()) {
            proxy.setUpstream("127.0.0.1:" + other.address().getPort());
            assertThat(client.getProxy("echo").getUpstream()).isEqualTo("127.0.0.1:" + other.address().getPort());
            try (Socket socket = connect()) {
                assertThat(roundTrip(socket, "moved")).isEqualTo("moved");
            }
            assertThat(other.acceptedConnections()).isEqualTo(1);
        }
        proxy.setUpstream("127.0.0.1:" + echo.address().getPort());
        String before = client.getProxy("echo").getListen();
        proxy.setListen("127.0.0.1:0");
        // port 0 asks for any free port; the proxy keeps its current one as that already satisfies it
        assertThat(client.getProxy("echo").getListen()).isEqualTo(before);
        int freePort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            freePort = probe.getLocalPort();
        }
        proxy.setListen("127.0.0.1:" + freePort);
        assertThat(client.getProxy("echo").getListen()).isEqualTo("127.0.0.1:" + freePort);
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, "relisten")).isEqualTo("relisten");
        }
    }

    @Test
    void errorsCarryToxiproxyStatusCodes() throws IOException {
        assertThatThrownBy(() -> client.createProxy("echo", "127.0.0.1:0", "127.0.0.1:1"))
                .isInstanceOf(IOException.class).hasMessageContaining("409");
        assertThatThrownBy(() -> client.createProxy("clash", listenAddressString(), "127.0.0.1:1"))
                .isInstanceOf(IOException.class).hasMessageContaining("409");
        assertThatThrownBy(() -> client.getProxy("nope"))
                .isInstanceOf(IOException.class).hasMessageContaining("404");
        proxy.toxics().latency("dup", ToxicDirection.UPSTREAM, 1);
        assertThatThrownBy(() -> proxy.toxics().latency("dup", ToxicDirection.UPSTREAM, 1))
                .isInstanceOf(IOException.class).hasMessageContaining("409");
        assertThatThrownBy(() -> proxy.toxics().latency("negative", ToxicDirection.UPSTREAM, -5))
                .isInstanceOf(IOException.class).hasMessageContaining("400").hasMessageContaining("attributes.latency");
    }

    @Test
    void aHeldConnectionTimesOutOnTheClient() throws IOException {
        proxy.toxics().timeout("hold", ToxicDirection.DOWNSTREAM, 0);
        try (Socket socket = connect()) {
            socket.setSoTimeout(300);
            socket.getOutputStream().write('x');
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    private InetSocketAddress listenAddress() throws IOException {
        return ChaosServer.parseAddress("listen", client.getProxy("echo").getListen());
    }

    private String listenAddressString() throws IOException {
        return client.getProxy("echo").getListen();
    }

    private Socket connect() throws IOException {
        InetSocketAddress address = listenAddress();
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(5_000);
        return socket;
    }
}
