package dev.strata.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.fault.Layer;
import dev.strata.network.Connector;
import dev.strata.observe.EventBus;
import dev.strata.observe.OutcomeListener;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.ResourceFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Seed 000's "tracing a request through all layers", for real: a pipeline with a breaker over a
 * pool of TCP connections opened by the {@link Connector} to a line server on 127.0.0.1. The first
 * call finds the pool cold and pays DNS and TCP inside its attempt; the second borrows the idle
 * connection and pays neither.
 */
class LayerTraceBreakdownTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** A listener that samples every call and keeps the traces. */
    private static final class Sampler implements OutcomeListener {
        final List<LayerTrace> traces = new CopyOnWriteArrayList<>();
        private final double rate;

        Sampler(double rate) {
            this.rate = rate;
        }

        @Override
        public double traceSampleRate() {
            return rate;
        }

        @Override
        public void callTraced(String dependency, Object token, LayerTrace trace) {
            traces.add(trace);
        }
    }

    @Test
    void warmAndColdPoolSideBySide() throws Exception {
        // First a throwaway round, so class loading and the interpreter land in no measured step.
        measuredRound(false);
        measuredRound(true);
    }

    private void measuredRound(boolean check) throws Exception {
        try (LineServer server = new LineServer();
             Pool<Socket> pool = Pool.open(PoolConfig.builder("users-db").maxSize(2).events(EventBus.detached()).build(),
                     sockets(server.port()))) {
            Pipeline pipeline = Pipeline.builder("users-db")
                    .circuitBreaker(CircuitBreaker.builder("users-db").events(EventBus.detached()).build())
                    .events(EventBus.detached()).build();
            Sampler sampler = new Sampler(1.0);
            try (AutoCloseable binding = pipeline.listen(sampler)) {
                assertThat(pipeline.execute(() -> pool.call(LayerTraceBreakdownTest::query))).isEqualTo("id=123 name=Ahmed");
                assertThat(pipeline.execute(() -> pool.call(LayerTraceBreakdownTest::query))).isEqualTo("id=123 name=Ahmed");
            }
            if (!check) {
                return;
            }
            LayerTrace cold = sampler.traces.get(0);
            LayerTrace warm = sampler.traces.get(1);
            String table = LayerTrace.sideBySide("COLD POOL (new connection)", cold, "WARM POOL (idle connection)", warm);
            System.out.println(table);

            assertThat(cold.spans()).extracting(LayerTrace.Span::phase)
                    .containsExactly("breaker-check", "dns", "tcp", "pool-wait", "attempt");
            assertThat(warm.spans()).extracting(LayerTrace.Span::phase)
                    .containsExactly("breaker-check", "pool-wait", "attempt");
            assertThat(cold.nanosOn(Layer.NETWORK)).isPositive();
            assertThat(warm.nanosOn(Layer.NETWORK)).isZero();
            // The connection was opened inside the cold call's attempt, and the breakdown says so.
            assertThat(cold.breakdown()).contains("attempt 1", "      dns", "      tcp", "    pool-wait", "the call itself")
                    .containsPattern("total [0-9.]+ms: L3 [0-9.]+ms, L2 [0-9.]+ms, L1 [0-9.]+ms, call [0-9.]+ms");
            assertThat(warm.breakdown()).doesNotContain("tcp").contains("pool-wait", "the call itself");
            assertThat(table).contains("COLD POOL", "WARM POOL").contains("|");
            for (LayerTrace trace : List.of(cold, warm)) {
                LayerTrace.Span attempt = trace.spans().getLast();
                assertThat(trace.spans()).allSatisfy(s -> assertThat(s.endNanos()).isLessThanOrEqualTo(trace.totalNanos()));
                assertThat(attempt.startNanos()).isGreaterThanOrEqualTo(trace.spans().getFirst().startNanos());
            }
        }
    }

    @Test
    void samplingIsOffByDefaultAndARateIsValidated() throws Exception {
        Pipeline pipeline = Pipeline.builder("users-db").events(EventBus.detached()).build();
        Sampler none = new Sampler(0.0);
        try (AutoCloseable binding = pipeline.listen(none)) {
            for (int i = 0; i < 100; i++) {
                pipeline.execute(() -> "ok");
            }
        }
        assertThat(none.traces).isEmpty();
        assertThatThrownBy(() -> pipeline.listen(new Sampler(1.5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("traceSampleRate: 1.5").hasMessageContaining("allowed 0..1");
        Sampler some = new Sampler(0.5);
        try (AutoCloseable binding = pipeline.listen(some)) {
            for (int i = 0; i < 400; i++) {
                pipeline.execute(() -> "ok");
            }
        }
        assertThat(some.traces.size()).isBetween(120, 280); // binomial(400, 0.5): far outside 6 sigma otherwise
    }

    private static String query(Socket socket) throws IOException {
        socket.getOutputStream().write("SELECT * FROM users WHERE id = 123\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    private static ResourceFactory<Socket> sockets(int port) {
        Connector connector = Connector.builder("users-db").resolver(host -> List.of(LOOPBACK)).build();
        return new ResourceFactory<>() {
            @Override
            public Socket create() {
                return connector.connect("users-db.internal", port).socket();
            }

            @Override
            public boolean validate(Socket resource, Duration timeout) {
                return !resource.isClosed();
            }

            @Override
            public void close(Socket resource) {
                try {
                    resource.close();
                } catch (IOException ignored) {
                    // our own socket
                }
            }
        };
    }

    /** Answers every line with one row, one virtual thread per connection. */
    private static final class LineServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final Thread acceptor = Thread.ofVirtual().start(this::accept);

        LineServer() throws IOException {
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            try {
                while (true) {
                    Socket s = server.accept();
                    accepted.add(s);
                    Thread.ofVirtual().start(() -> {
                        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
                            while (in.readLine() != null) {
                                s.getOutputStream().write("id=123 name=Ahmed\n".getBytes(StandardCharsets.US_ASCII));
                                s.getOutputStream().flush();
                            }
                        } catch (IOException gone) {
                            // the client closed
                        }
                    });
                }
            } catch (IOException closed) {
                // close() closed the server socket
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
            acceptor.join(5000);
        }
    }
}
