package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.ChaosServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Starts {@code strata proxy} on port 0, drives it over HTTP and stops it: in-process, and as
 * the real CLI in a child JVM stopped by SIGTERM, which runs the same shutdown hook as Ctrl-C.
 */
class ProxyCommandTest {

    @Test
    void servesTheApiPrintsChangesAndStopsCleanly(@TempDir Path dir) throws Exception {
        try (ServerSocket echo = echoServer()) {
            Path config = dir.resolve("proxies.json");
            Files.writeString(config, "[{\"name\":\"echo\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:"
                    + echo.getLocalPort() + "\"}]");
            ProxyCommand command = new ProxyCommand();
            StringWriter output = new StringWriter();
            CommandLine cli = new CommandLine(command).setOut(new PrintWriter(output, true));
            AtomicInteger exitCode = new AtomicInteger(-1);
            Thread running = Thread.ofVirtual().start(() ->
                    exitCode.set(cli.execute("--listen", "127.0.0.1:0", "--config", config.toString())));

            ChaosServer server = command.awaitStarted(Duration.ofSeconds(20));
            assertThat(server).isNotNull();
            ChaosProxy proxy = server.proxy("echo").orElseThrow();
            try (Socket socket = new Socket(proxy.listenAddress().getAddress(), proxy.port())) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
            }

            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> toxic = http.send(HttpRequest.newBuilder(URI.create(server.uri() + "/proxies/echo/toxics"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"latency\",\"attributes\":{\"latency\":50}}"))
                                .timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(toxic.statusCode()).isEqualTo(200);
            }

            int controlPort = server.address().getPort();
            command.stop();
            running.join(Duration.ofSeconds(20));
            assertThat(running.isAlive()).isFalse();
            assertThat(exitCode).hasValue(0);
            assertThat(server.isClosed()).isTrue();
            assertThat(proxy.isClosed()).isTrue();
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), controlPort).close())
                    .isInstanceOf(ConnectException.class);

            String printed = output.toString();
            assertThat(printed).contains("control API on http://127.0.0.1:")
                    .contains("proxy echo created")
                    .contains("toxic added latency_downstream")
                    .contains("stopped; every proxy closed");
        }
    }

    @Test
    void sigtermStopsTheRealCliCleanlyAndFreesItsPorts(@TempDir Path dir) throws Exception {
        try (ServerSocket echo = echoServer()) {
            Path config = dir.resolve("proxies.json");
            Files.writeString(config, "[{\"name\":\"echo\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:"
                    + echo.getLocalPort() + "\"}]");
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "-XX:TieredStopAtLevel=1", "dev.strata.cli.StrataCli",
                    "proxy", "--listen", "127.0.0.1:0", "--config", config.toString())
                    .redirectErrorStream(true).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            List<String> printed = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        printed.add(line);
                        lines.add(line);
                    }
                } catch (IOException ended) {
                    // the stream ends with the process
                }
            });
            try {
                // generous: a JVM starting on a shared 2-core machine
                Matcher control = awaitLine(lines, Pattern.compile("control API on http://127\\.0\\.0\\.1:(\\d+)"), Duration.ofSeconds(60));
                assertThat(control).as("listening line, printed: %s", printed).isNotNull();
                Matcher proxied = awaitLine(lines, Pattern.compile("ChaosProxy\\[echo 127\\.0\\.0\\.1:(\\d+) "), Duration.ofSeconds(20));
                assertThat(proxied).as("proxy line, printed: %s", printed).isNotNull();
                assertThat(awaitLine(lines, Pattern.compile("press Ctrl-C to stop"), Duration.ofSeconds(20))).isNotNull();
                int controlPort = Integer.parseInt(control.group(1));
                int proxyPort = Integer.parseInt(proxied.group(1));

                try (Socket through = new Socket(InetAddress.getLoopbackAddress(), proxyPort)) {
                    through.setSoTimeout(10_000);
                    through.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                    assertThat(through.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));

                    // SIGTERM, so the JVM runs its shutdown hooks as on Ctrl-C. Through the handle,
                    // because Process.destroy() also closes our end of the child's stdout, and the
                    // shutdown line we check for would be lost.
                    assertThat(process.toHandle().destroy()).as("SIGTERM sent").isTrue();
                    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
                    int first;
                    try {
                        first = through.getInputStream().read();
                    } catch (SocketException reset) {
                        first = -1;
                    }
                    assertThat(first).as("the open connection through the proxy was closed").isEqualTo(-1);
                }
                assertThat(reader.join(Duration.ofSeconds(10))).as("output fully read").isTrue();
                assertThat(printed).as("shutdown line; exit code %d", process.exitValue()).contains("strata proxy: stopped; every proxy closed");
                assertPortFree(controlPort);
                assertPortFree(proxyPort);
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** The first match of {@code pattern} among the lines yet to come, or null after {@code timeout}. */
    private static Matcher awaitLine(BlockingQueue<String> lines, Pattern pattern, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); left > 0; left = end - System.nanoTime()) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                return null;
            }
            Matcher matcher = pattern.matcher(line);
            if (matcher.find()) {
                return matcher;
            }
        }
        return null;
    }

    /** Nothing listens on the port any more, and it can be bound again. */
    private static void assertPortFree(int port) throws IOException {
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .as("nothing listens on %d", port).isInstanceOf(ConnectException.class);
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void rejectsABadListenAddressAndAMissingConfig(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ProxyCommand()).setErr(new PrintWriter(err, true));
        assertThat(cli.execute("--listen", "nowhere")).isEqualTo(2);
        assertThat(cli.execute("--config", dir.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--listen: 'nowhere' is not host:port").contains("missing.json");
    }

    private static ServerSocket echoServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // closed by the proxy
                        }
                    });
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return server;
    }
}
