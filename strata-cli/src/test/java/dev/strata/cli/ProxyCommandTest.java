package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.ChaosServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Starts {@code strata proxy} in-process on port 0, drives it over HTTP and stops it. */
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
