package dev.strata.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.call.LayerTrace;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connector's TLS path against a real TLS server on 127.0.0.1, with a self-signed
 * certificate made at test time by the JDK's own keytool. Nothing is mocked: the handshakes,
 * the certificate checks and the timeouts are the JDK's.
 */
class ConnectorTlsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Slack for a shared 2-core machine; the bounds under test are far below the hangs they prevent. */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final char[] PASSWORD = "strata-test".toCharArray();

    @TempDir
    static Path keys;

    private static SSLContext serverContext;
    private static Certificate certificate;

    /** Every socket and thread a test's servers open, closed and joined after each test. */
    private final ConcurrentLinkedQueue<AutoCloseable> opened = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Thread> started = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void makeSelfSignedCertificate() throws Exception {
        Path store = keys.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair",
                "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "strata",
                "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD), "-noprompt")
                .redirectErrorStream(true)
                .redirectOutput(keys.resolve("keytool.log").toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool did not finish within 60 s");
        }
        assertThat(process.exitValue()).as("keytool: %s", Files.readString(keys.resolve("keytool.log"))).isZero();

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, PASSWORD);
        }
        certificate = keyStore.getCertificate("strata");
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, PASSWORD);
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);
    }

    @AfterEach
    void closeServersAndJoinTheirThreads() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
        for (Thread thread : started) {
            assertThat(thread.join(Duration.ofSeconds(10))).as("%s stopped, not leaked", thread).isTrue();
        }
    }

    @Test
    void connectsOverTlsRoundTripsBytesAndRecordsEveryPhase() throws Exception {
        SSLServerSocket server = echoServer();
        RecordingFactory factory = new RecordingFactory(trusting(certificate));
        Connector connector = Connector.builder("secure").resolver(host -> List.of(LOOPBACK)).tls(factory).build();
        CallContext context = CallContext.idempotent("secure");

        Connected connected;
        try (var scope = context.enter()) {
            // the literal address is the name checked against the certificate's SAN ip:127.0.0.1
            connected = connector.connect("127.0.0.1", server.getLocalPort());
        }

        try (Socket socket = connected.socket()) {
            assertThat(socket).isInstanceOf(SSLSocket.class);
            assertThat(((SSLSocket) socket).getSession().getPeerCertificates()[0]).isEqualTo(certificate);
            assertThat(socket.getSoTimeout()).as("the handshake timeout is not left on the socket").isZero();
            byte[] sent = "hello over tls".getBytes(StandardCharsets.UTF_8);
            socket.setSoTimeout(10_000); // bound the read in this test only
            socket.getOutputStream().write(sent);
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().readNBytes(sent.length)).isEqualTo(sent);
        }
        assertThat(connected.tlsNanos()).isPositive();
        assertThat(connected.tcpNanos()).isPositive();
        assertThat(connected.dnsNanos()).isNotNegative();
        assertThat(connected.totalNanos())
                .isEqualTo(connected.dnsNanos() + connected.tcpNanos() + connected.tlsNanos());
        assertThat(context.trace().spans()).extracting(LayerTrace.Span::phase).containsExactly("dns", "tcp", "tls");
        assertThat(context.trace().spans()).allSatisfy(span -> {
            assertThat(span.layer()).isEqualTo(Layer.NETWORK);
            assertThat(span.outcome()).isEqualTo("ok");
        });
        assertThat(context.trace().spans().get(2).durationNanos()).isEqualTo(connected.tlsNanos());
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsAsTlsHandshakeFailureAndClosesTheSocket() throws Exception {
        SSLServerSocket server = echoServer();
        // The JDK's default trust anchors: real CAs, none of which signed our self-signed certificate.
        TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        defaults.init((KeyStore) null);
        SSLContext untrusting = SSLContext.getInstance("TLS");
        untrusting.init(null, defaults.getTrustManagers(), null);
        RecordingFactory factory = new RecordingFactory(untrusting.getSocketFactory());
        Connector connector = Connector.builder("untrusted").resolver(host -> List.of(LOOPBACK)).tls(factory).build();
        CallContext context = CallContext.idempotent("untrusted");

        try (var scope = context.enter()) {
            assertThatThrownBy(() -> connector.connect("127.0.0.1", server.getLocalPort()))
                    .isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FaultKind.TLS_HANDSHAKE_FAILURE);
                        assertThat(e.layer()).isEqualTo(Layer.NETWORK);
                        assertThat(e.kind().retryable()).as("a certificate will not start being trusted on retry").isFalse();
                    })
                    .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                    .hasMessageContaining("TLS handshake with 127.0.0.1:" + server.getLocalPort() + " failed");
        }

        assertThat(factory.created).singleElement().satisfies(socket -> assertThat(socket.isClosed()).isTrue());
        LayerTrace.Span tls = context.trace().spans().getLast();
        assertThat(tls.phase()).isEqualTo("tls");
        assertThat(tls.outcome()).isEqualTo(FaultKind.TLS_HANDSHAKE_FAILURE.qualifiedName());
    }

    @Test
    void theCertificateMustNameTheHostAskedFor() throws Exception {
        SSLServerSocket server = echoServer();
        // Both names resolve to the same trusted server; only the one in the certificate's SAN passes.
        Connector connector = Connector.builder("named")
                .resolver(host -> List.of(LOOPBACK))
                .dnsTtl(Duration.ZERO)
                .tls(trusting(certificate))
                .build();

        try (Socket socket = connector.connect("localhost", server.getLocalPort()).socket()) {
            assertThat(((SSLSocket) socket).getSession().getPeerHost()).isEqualTo("localhost");
        }
        assertThatThrownBy(() -> connector.connect("payments.internal", server.getLocalPort()))
                .isInstanceOfSatisfying(StrataException.class,
                        e -> assertThat(e.kind()).isEqualTo(FaultKind.TLS_HANDSHAKE_FAILURE))
                .hasRootCauseInstanceOf(java.security.cert.CertificateException.class)
                .rootCause().hasMessageContaining("payments.internal");
    }

    @Test
    void aServerThatNeverSpeaksTlsCannotHoldTheHandshakePastTheDeadline() throws Exception {
        // Accepts TCP, then holds: the ClientHello goes unanswered, as with a stuck or wrong-protocol peer.
        ServerSocket silent = new ServerSocket(0, 50, LOOPBACK);
        opened.add(silent);
        ConcurrentLinkedQueue<Socket> held = new ConcurrentLinkedQueue<>();
        started.add(Thread.ofVirtual().name("silent-accept").start(() -> {
            try {
                while (true) {
                    Socket accepted = silent.accept();
                    opened.add(accepted);
                    held.add(accepted);
                }
            } catch (IOException closed) {
                // the test closed the listener
            }
        }));
        RecordingFactory factory = new RecordingFactory(trusting(certificate));
        Connector connector = Connector.builder("silent")
                .connectTimeout(Duration.ofSeconds(30)) // the call deadline, not this, must bound the wait
                .resolver(host -> List.of(LOOPBACK))
                .tls(factory)
                .build();
        CallContext context = CallContext.idempotent("silent");
        long start = System.nanoTime();

        try (var scope = context.enter()) {
            assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(300))
                    .call(() -> connector.connect("127.0.0.1", silent.getLocalPort())))
                    .isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.kind()).isEqualTo(FaultKind.CONNECT_TIMEOUT);
                        assertThat(e.layer()).isEqualTo(Layer.NETWORK);
                    })
                    .hasCauseInstanceOf(SocketTimeoutException.class);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).isLessThan(Duration.ofMillis(300).plus(SLACK));
        assertThat(took).as("the handshake waited for the budget, it did not fail early").isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(factory.created).singleElement().satisfies(socket -> assertThat(socket.isClosed()).isTrue());
        LayerTrace.Span tls = context.trace().spans().getLast();
        assertThat(tls.phase()).isEqualTo("tls");
        assertThat(tls.outcome()).isEqualTo(FaultKind.CONNECT_TIMEOUT.qualifiedName());
        // The server side sees the connection end: the ClientHello, then end of stream.
        assertThat(held).hasSize(1);
        Socket accepted = held.peek();
        accepted.setSoTimeout(10_000);
        assertThat(drainToEnd(accepted.getInputStream())).as("ClientHello bytes before EOF").isPositive();
    }

    /** A TLS server on 127.0.0.1 that echoes bytes, one virtual thread per connection. */
    private SSLServerSocket echoServer() throws IOException {
        SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 50, LOOPBACK);
        opened.add(server);
        started.add(Thread.ofVirtual().name("tls-echo-accept").start(() -> {
            try {
                while (true) {
                    Socket accepted = server.accept();
                    opened.add(accepted);
                    started.add(Thread.ofVirtual().name("tls-echo").start(() -> echo(accepted)));
                }
            } catch (IOException closed) {
                // the test closed the listener
            }
        }));
        return server;
    }

    private static void echo(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            byte[] buffer = new byte[1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // the client went away or failed the handshake: nothing to echo
        }
    }

    private static int drainToEnd(InputStream in) throws IOException {
        int total = 0;
        try {
            for (int n; (n = in.read(new byte[512])) >= 0; ) {
                total += n;
            }
        } catch (SocketException reset) {
            // a reset also proves the client closed its end
        }
        return total;
    }

    /** A client factory whose trust store holds exactly {@code trusted}. */
    private static SSLSocketFactory trusting(Certificate trusted) throws Exception {
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("strata", trusted);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers.getTrustManagers(), null);
        return context.getSocketFactory();
    }

    /**
     * The real JDK factory, remembering the sockets it layered so a test can check that the
     * connector closed them after a failed handshake.
     */
    private static final class RecordingFactory extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        final ConcurrentLinkedQueue<SSLSocket> created = new ConcurrentLinkedQueue<>();

        RecordingFactory(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        private Socket remember(Socket socket) {
            created.add((SSLSocket) socket);
            return socket;
        }

        @Override
        public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
            return remember(delegate.createSocket(socket, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return remember(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return remember(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return remember(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return remember(delegate.createSocket(address, port, localAddress, localPort));
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }
    }
}
