package dev.strata.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.call.LayerTrace;
import dev.strata.call.ManualClock;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.fault.StrataException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;

class ConnectorTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Slack for a shared 2-core machine; the bounds under test are far below the hangs they prevent. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    @Test
    void connectsRecordingEachPhaseAndSettingKeepalivePerConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            Connector connector = Connector.builder("echo")
                    .resolver(host -> List.of(LOOPBACK))
                    .keepalive(new KeepaliveOptions(Duration.ofSeconds(10), Duration.ofSeconds(3), 4))
                    .build();
            CallContext context = CallContext.idempotent("echo");

            Connected connected;
            try (var scope = context.enter()) {
                connected = connector.connect("echo.internal", server.getLocalPort());
            }

            try (Socket socket = connected.socket(); Socket accepted = server.accept()) {
                assertThat(accepted.isConnected()).isTrue();
                assertThat(socket.getKeepAlive()).isTrue();
                if (socket.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
                    assertThat(socket.getOption(ExtendedSocketOptions.TCP_KEEPIDLE)).isEqualTo(10);
                    assertThat(socket.getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL)).isEqualTo(3);
                    assertThat(socket.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT)).isEqualTo(4);
                }
            }
            assertThat(context.trace().spans()).extracting(LayerTrace.Span::phase).containsExactly("dns", "tcp");
            assertThat(context.trace().spans()).allSatisfy(span -> {
                assertThat(span.layer()).isEqualTo(Layer.NETWORK);
                assertThat(span.outcome()).isEqualTo("ok");
            });
            assertThat(connected.remote().getPort()).isEqualTo(server.getLocalPort());
        }
    }

    @Test
    void aThirtySecondResolverCannotHoldTheCallerPastItsDeadline() throws Exception {
        CountDownLatch resolverInterrupted = new CountDownLatch(1);
        Connector connector = Connector.builder("payments")
                .connectTimeout(Duration.ofSeconds(30))
                .resolver(host -> {
                    try {
                        Thread.sleep(Duration.ofSeconds(30)); // the seed 000 DNS timeout trap
                    } catch (InterruptedException stopped) {
                        resolverInterrupted.countDown();
                    }
                    return List.of(LOOPBACK);
                })
                .build();
        long start = System.nanoTime();

        assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(200)).call(() -> connector.connect("payments.internal", 443)))
                .isInstanceOfSatisfying(StrataException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FaultKind.DNS_FAILURE);
                    assertThat(e.layer()).isEqualTo(Layer.NETWORK);
                })
                .hasMessageContaining("did not finish within the connect budget");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200).plus(SLACK));
        assertThat(resolverInterrupted.await(10, TimeUnit.SECONDS)).as("the lookup thread is stopped, not leaked").isTrue();
    }

    @Test
    void answersAreReusedForTheirTtlOnly() throws Exception {
        ManualClock clock = new ManualClock();
        AtomicInteger lookups = new AtomicInteger();
        CachingResolver resolver = new CachingResolver(host -> {
            lookups.incrementAndGet();
            return List.of(LOOPBACK);
        }, Duration.ofSeconds(30), clock);

        resolver.resolve("db.internal");
        clock.advance(Duration.ofSeconds(29));
        resolver.resolve("db.internal");
        assertThat(lookups).hasValue(1);

        clock.advance(Duration.ofSeconds(2));
        resolver.resolve("db.internal");
        assertThat(lookups).hasValue(2);
    }

    @Test
    void aFailedConnectionForgetsTheCachedAnswerSoTheNextOneResolvesAgain() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = probe.getLocalPort();
        }
        AtomicInteger lookups = new AtomicInteger();
        Connector connector = Connector.builder("moved")
                .resolver(host -> {
                    lookups.incrementAndGet();
                    return List.of(LOOPBACK);
                })
                .dnsTtl(Duration.ofMinutes(5))
                .build();

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> connector.connect("moved.internal", closedPort))
                    .isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.kind()).isEqualTo(FaultKind.CONNECTION_REFUSED));
        }
        assertThat(lookups).as("re-resolved after each failure despite the 5 min TTL").hasValue(2);
    }

    @Test
    void aHandshakeThatNeverCompletesFailsAtTheDeadlineAsConnectTimeout() throws Exception {
        // A listener whose accept queue is full drops new SYNs: the handshake hangs as it does
        // against a black-holed host, but on loopback.
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket filler = new Socket();
                    try {
                        filler.connect(server.getLocalSocketAddress(), 200);
                        fillers.add(filler);
                    } catch (java.io.IOException queueFull) {
                        filler.close();
                        break;
                    }
                }
                Connector connector = Connector.builder("stuck").resolver(host -> List.of(LOOPBACK)).build();
                long start = System.nanoTime();

                assertThatThrownBy(() -> Deadline.after(Duration.ofMillis(300))
                        .call(() -> connector.connect("stuck.internal", server.getLocalPort())))
                        .isInstanceOfSatisfying(StrataException.class,
                                e -> assertThat(e.kind()).isEqualTo(FaultKind.CONNECT_TIMEOUT));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(300).plus(SLACK));
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void invalidSettingsAreRejectedNamingFieldValueAndRange() {
        assertThatThrownBy(() -> new KeepaliveOptions(Duration.ofMillis(500), Duration.ofSeconds(1), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("keepalive.idle: 500ms is out of range; allowed 1.00s..");
        assertThatThrownBy(() -> Connector.builder("x").connectTimeout(Duration.ZERO).build())
                .hasMessageStartingWith("connectTimeout: 0us is out of range");
        assertThat(KeepaliveOptions.DEFAULT.detectionTime()).isEqualTo(Duration.ofSeconds(30));
    }
}
