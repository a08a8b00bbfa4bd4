package dev.strata.bench;

import dev.strata.chaos.ChaosProxy;
import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a {@link ChaosProxy} with no toxics costs compared with direct loopback, the anchor, in
 * the same run: round-trip time of a 64-byte message to an echo server (sampled, so p50 and p99
 * are available) and bulk throughput of 1 MiB transfers acknowledged by the receiver.
 */
@Fork(value = 1, jvmArgsAppend = "-Xss1m")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class ChaosProxyBenchmark {

    static final int MESSAGE_SIZE = 64;
    static final int BULK_SIZE = 1 << 20;

    /** An echo server, a sink that acknowledges each MiB, and a proxy in front of each. */
    @State(Scope.Benchmark)
    public static class Servers {
        ServerSocket echo;
        ServerSocket sink;
        ChaosProxy echoProxy;
        ChaosProxy sinkProxy;

        @Setup(Level.Trial)
        public void start() throws IOException {
            echo = serve(Servers::echo);
            sink = serve(Servers::sinkWithAck);
            echoProxy = ChaosProxy.builder("bench-echo", address(echo)).events(EventBus.detached()).start();
            sinkProxy = ChaosProxy.builder("bench-sink", address(sink)).events(EventBus.detached()).start();
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            echoProxy.close();
            sinkProxy.close();
            echo.close();
            sink.close();
        }

        private interface Handler {
            void handle(InputStream in, OutputStream out) throws IOException;
        }

        private static ServerSocket serve(Handler handler) throws IOException {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        socket.setTcpNoDelay(true);
                        Thread.ofVirtual().start(() -> {
                            try (socket) {
                                handler.handle(socket.getInputStream(), socket.getOutputStream());
                            } catch (IOException closed) {
                                // the benchmark ended the connection
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            return server;
        }

        private static void echo(InputStream in, OutputStream out) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
            }
        }

        private static void sinkWithAck(InputStream in, OutputStream out) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            long received = 0;
            int read;
            while ((read = in.read(buffer)) >= 0) {
                long before = received / BULK_SIZE;
                received += read;
                for (long i = before; i < received / BULK_SIZE; i++) {
                    out.write(1);
                }
            }
        }

        static InetSocketAddress address(ServerSocket server) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        }
    }

    /** One client's connections: directly to each server, and through each proxy. */
    @State(Scope.Thread)
    public static class Client {
        Socket directEcho;
        Socket proxiedEcho;
        Socket directSink;
        Socket proxiedSink;
        final byte[] message = new byte[MESSAGE_SIZE];
        final byte[] answer = new byte[MESSAGE_SIZE];
        final byte[] bulk = new byte[BULK_SIZE];

        @Setup(Level.Trial)
        public void connect(Servers servers) throws IOException {
            directEcho = open(Servers.address(servers.echo));
            proxiedEcho = open(servers.echoProxy.listenAddress());
            directSink = open(Servers.address(servers.sink));
            proxiedSink = open(servers.sinkProxy.listenAddress());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            directEcho.close();
            proxiedEcho.close();
            directSink.close();
            proxiedSink.close();
        }

        private static Socket open(InetSocketAddress address) throws IOException {
            Socket socket = new Socket(address.getAddress(), address.getPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            return socket;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripDirect(Client client) throws IOException {
        return roundTrip(client.directEcho, client);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripProxied(Client client) throws IOException {
        return roundTrip(client.proxiedEcho, client);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int bulkMiBDirect(Client client) throws IOException {
        return bulk(client.directSink, client);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int bulkMiBProxied(Client client) throws IOException {
        return bulk(client.proxiedSink, client);
    }

    private static int roundTrip(Socket socket, Client client) throws IOException {
        socket.getOutputStream().write(client.message);
        int total = 0;
        InputStream in = socket.getInputStream();
        while (total < MESSAGE_SIZE) {
            int read = in.read(client.answer, total, MESSAGE_SIZE - total);
            if (read < 0) {
                throw new IOException("echo closed the connection");
            }
            total += read;
        }
        return total;
    }

    /** Sends 1 MiB and waits for the receiver's acknowledgement that all of it arrived. */
    private static int bulk(Socket socket, Client client) throws IOException {
        socket.getOutputStream().write(client.bulk);
        int ack = socket.getInputStream().read();
        if (ack != 1) {
            throw new IOException("sink closed the connection");
        }
        return BULK_SIZE;
    }
}
