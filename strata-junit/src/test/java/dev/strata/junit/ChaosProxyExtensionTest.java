package dev.strata.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Runs small test classes that use the extension through the JUnit engine itself, then checks
 * that their tests passed (so the toxics were healed between them) and that the proxy was
 * closed when the class ended.
 */
class ChaosProxyExtensionTest {

    private static ServerSocket echo;
    /** Connections the echo server holds open: the upstream side of every proxied flow. */
    private static final AtomicInteger echoOpen = new AtomicInteger();

    @BeforeAll
    static void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket socket = echo.accept();
                    echoOpen.incrementAndGet();
                    Thread.ofVirtual().start(() -> {
                        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the proxy closed or reset us: the test decides what that means
                        } finally {
                            echoOpen.decrementAndGet();
                        }
                    });
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    @AfterAll
    static void stopEcho() throws IOException {
        echo.close();
    }

    static InetSocketAddress echoAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort());
    }

    @Test
    void classScopedProxyIsHealedBetweenTestsAndClosedAfterTheClass() {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ClassScoped.class)).execute();
        // show why an inner test failed; the statistics below only count
        results.testEvents().failed().stream().forEach(event -> event.getPayload(TestExecutionResult.class)
                .flatMap(TestExecutionResult::getThrowable).ifPresent(Throwable::printStackTrace));
        results.testEvents().assertStatistics(stats -> stats.started(3).succeeded(3).failed(0));
        assertThat(ClassScoped.seen).isNotNull();
        assertThat(ClassScoped.seen.isClosed()).as("closed after the class").isTrue();
    }

    @Test
    void instanceScopedProxyLivesForOneTest() {
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(InstanceScoped.class)).execute()
                .testEvents().assertStatistics(stats -> stats.started(1).succeeded(1).failed(0));
        assertThat(InstanceScoped.seen.isClosed()).isTrue();
    }

    @Test
    void healingClosesConnectionsPoisonedByToxicsSoTheyDoNotLeakIntoTheNextTest() {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Poisoned.class)).execute();
        results.testEvents().failed().stream().forEach(event -> event.getPayload(TestExecutionResult.class)
                .flatMap(TestExecutionResult::getThrowable).ifPresent(Throwable::printStackTrace));
        results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2).failed(0));
        assertThat(Poisoned.seen.isClosed()).isTrue();
    }

    static String roundTrip(InetSocketAddress address, String message) throws IOException {
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(message.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readNBytes(message.length()), StandardCharsets.US_ASCII);
        }
    }

    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class ClassScoped {
        @RegisterExtension
        static ChaosProxyExtension chaos = ChaosProxyExtension.inFrontOf(ChaosProxyExtensionTest::echoAddress).named("echo");
        static ChaosProxy seen;

        @Test
        @Order(1)
        void breaksTheProxy(ChaosProxy proxy) throws IOException {
            seen = proxy;
            assertThat(proxy).isSameAs(chaos.proxy());
            assertThat(roundTrip(chaos.address(), "ok")).isEqualTo("ok");
            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 200, 0));
            long start = System.nanoTime();
            assertThat(roundTrip(chaos.address(), "slow")).isEqualTo("slow");
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(190);
            proxy.disable();
        }

        @Test
        @Order(2)
        void findsItHealed(ChaosProxy proxy) throws IOException {
            assertThat(proxy).isSameAs(seen);
            assertThat(proxy.toxics()).isEmpty();
            assertThat(proxy.isEnabled()).isTrue();
            assertThat(roundTrip(chaos.address(), "healed")).isEqualTo("healed");
        }

        @Test
        @Order(3)
        void portIsTheProxys() {
            assertThat(chaos.port()).isEqualTo(seen.port()).isNotEqualTo(echo.getLocalPort());
        }
    }

    /**
     * The first test leaves two connections poisoned for good, as a pooled client would keep
     * them; the second finds them closed on both sides and the proxy serving fresh ones.
     */
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Poisoned {
        @RegisterExtension
        static ChaosProxyExtension chaos = ChaosProxyExtension.inFrontOf(ChaosProxyExtensionTest::echoAddress).named("poisoned");
        static ChaosProxy seen;
        static Socket blackholed;
        static Socket held;

        @AfterAll
        static void closeClients() throws IOException {
            for (Socket socket : new Socket[] {blackholed, held}) {
                if (socket != null) {
                    socket.close();
                }
            }
        }

        @Test
        @Order(1)
        void poisonsTwoConnections(ChaosProxy proxy) throws Exception {
            seen = proxy;
            blackholed = connect(chaos.address());
            assertThat(roundTrip(blackholed, "fresh")).isEqualTo("fresh");
            proxy.addToxic(Toxic.idleBlackhole(100));
            Thread.sleep(250); // idle past the toxic's 100 ms: the flow is forgotten
            blackholed.setSoTimeout(300);
            blackholed.getOutputStream().write("void".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> blackholed.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.removeAllToxics();

            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
            held = connect(chaos.address());
            held.setSoTimeout(300);
            held.getOutputStream().write("dropped".getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> held.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.connectionCount()).isEqualTo(2);
        }

        @Test
        @Order(2)
        void findsThemClosedOnBothSides(ChaosProxy proxy) throws Exception {
            assertThat(proxy).isSameAs(seen);
            blackholed.setSoTimeout(5_000);
            held.setSoTimeout(5_000);
            assertThat(blackholed.getInputStream().read()).as("the black-holed flow was closed").isEqualTo(-1);
            assertThat(held.getInputStream().read()).as("the held flow was closed").isEqualTo(-1);
            assertThat(proxy.connectionCount()).isZero();
            awaitTrue(() -> echoOpen.get() == 0 && proxy.liveThreadCount() == 2, 5_000);
            assertThat(echoOpen).as("upstream side released").hasValue(0);
            assertThat(proxy.liveThreadCount()).as("only the accept loop and the timer").isEqualTo(2);
            assertThat(roundTrip(chaos.address(), "healed")).isEqualTo("healed");
        }
    }

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(5_000);
        return socket;
    }

    static String roundTrip(Socket socket, String message) throws IOException {
        socket.getOutputStream().write(message.getBytes(StandardCharsets.US_ASCII));
        return new String(socket.getInputStream().readNBytes(message.length()), StandardCharsets.US_ASCII);
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }

    static class InstanceScoped {
        @RegisterExtension
        ChaosProxyExtension chaos = ChaosProxyExtension.inFrontOf(echoAddress());
        static ChaosProxy seen;

        @Test
        void getsAProxy() throws IOException {
            seen = chaos.proxy();
            assertThat(roundTrip(chaos.address(), "mine")).isEqualTo("mine");
        }
    }
}
