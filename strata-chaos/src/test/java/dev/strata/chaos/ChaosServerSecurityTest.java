package dev.strata.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 12: the chaos control API opens relays to anywhere, so it must stay on loopback
 * unless explicitly allowed and refuse what a web page can make a browser send; a proxy that
 * fails to bind must not leak its timer thread; close() must be bounded.
 */
class ChaosServerSecurityTest {

    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void theControlApiRefusesANonLoopbackAddressUnlessExplicitlyAllowed() {
        assertThatThrownBy(() -> ChaosServer.start(new InetSocketAddress("0.0.0.0", 0), EventBus.detached()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("address: 0.0.0.0:0 is not a loopback address")
                .hasMessageContaining("--allow-remote");
    }

    @Test
    void aProxyListeningOffLoopbackIsRefusedByTheApi() throws Exception {
        try (ChaosServer server = ChaosServer.start(LOOPBACK_ANY_PORT, EventBus.detached())) {
            String body = "{\"name\":\"open-relay\",\"listen\":\"0.0.0.0:0\",\"upstream\":\"127.0.0.1:9\"}";
            String response = request(server, "POST", "/proxies", hostOf(server), null, body);
            assertThat(response).startsWith("HTTP/1.1 400").contains("is not a loopback address");
            assertThat(server.proxies()).isEmpty();
        }
    }

    @Test
    void aRequestAddressedToAnotherHostIsRefused() throws Exception {
        try (ChaosServer server = ChaosServer.start(LOOPBACK_ANY_PORT, EventBus.detached())) {
            // DNS rebinding: the browser believes it talks to evil.example, which now resolves to 127.0.0.1
            String response = request(server, "POST", "/proxies", "evil.example:" + server.address().getPort(), null,
                    "{\"name\":\"relay\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:9\"}");
            assertThat(response).startsWith("HTTP/1.1 403").contains("evil.example");
            assertThat(server.proxies()).isEmpty();

            assertThat(request(server, "GET", "/version", hostOf(server), null, null)).startsWith("HTTP/1.1 200");
            assertThat(request(server, "GET", "/version", "localhost:" + server.address().getPort(), null, null))
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aTextPlainPostFromAForeignPageIsRefused() throws Exception {
        try (ChaosServer server = ChaosServer.start(LOOPBACK_ANY_PORT, EventBus.detached())) {
            String response = request(server, "POST", "/proxies", hostOf(server), "http://evil.example",
                    "{\"name\":\"relay\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:9\"}");
            assertThat(response).startsWith("HTTP/1.1 403").contains("Origin");
            assertThat(server.proxies()).isEmpty();
        }
    }

    @Test
    void aProxyThatCannotBindLeavesNoTimerThreadBehind() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress occupied = new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort());
            for (int i = 0; i < 5; i++) {
                String name = "bind-fails-" + i;
                assertThatThrownBy(() -> ChaosProxy.builder(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), 9))
                        .listen(occupied).start())
                        .isInstanceOf(UncheckedIOException.class);
                long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (ChaosProxy.LIVE_TIMERS.contains(name) && System.nanoTime() - end < 0) {
                    Thread.sleep(5);
                }
                assertThat(ChaosProxy.LIVE_TIMERS).as("timer of %s", name).doesNotContain(name);
            }
        }
    }

    @Test
    void closeReturnsWhileAClientNeverFinishesItsRequest() throws Exception {
        ChaosServer server = ChaosServer.start(LOOPBACK_ANY_PORT, EventBus.detached());
        try (Socket stuck = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = stuck.getOutputStream();
            out.write(("POST /populate HTTP/1.1\r\nHost: " + hostOf(server) + "\r\nContent-Length: 1000\r\n\r\n[")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200); // the handler is now blocked reading a body that never comes
            Thread closer = Thread.ofVirtual().start(server::close);
            assertThat(closer.join(Duration.ofSeconds(10))).as("close() is bounded").isTrue();
            assertThat(server.isClosed()).isTrue();
        }
    }

    private static String hostOf(ChaosServer server) {
        return "127.0.0.1:" + server.address().getPort();
    }

    /** A raw HTTP/1.1 exchange, so the test controls the Host and Origin headers a browser would send. */
    static String request(ChaosServer server, String method, String path, String host, String origin, String body)
            throws IOException {
        try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(5_000);
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            if (origin != null) {
                head.append("Origin: ").append(origin).append("\r\n");
            }
            head.append("Content-Type: text/plain\r\nContent-Length: ").append(payload.length).append("\r\nConnection: close\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
