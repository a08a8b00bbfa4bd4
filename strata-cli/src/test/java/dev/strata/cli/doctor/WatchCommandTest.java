package dev.strata.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.strata.cli.StrataCli;
import dev.strata.diagnosis.Diagnoser;
import dev.strata.diagnosis.DiagnosisSource;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code strata doctor watch} against a real HTTP endpoint serving a live diagnoser. */
class WatchCommandTest {

    @Test
    void printsVerdictsAsTheyAppearAndGoAway() throws Exception {
        EventBus bus = EventBus.detached();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        AtomicInteger polls = new AtomicInteger();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build())
                .window(java.time.Duration.ofSeconds(5)).start()) {
            server.createContext("/strata/diagnosis", exchange -> {
                int n = polls.incrementAndGet();
                if (n == 2) { // between the first and the second poll, connections start being refused
                    bus.publish(new BasicEvent(System.currentTimeMillis(), "inventory", "connect.failed", Layer.NETWORK,
                            Level.WARNING, Fault.of(FaultKind.CONNECTION_REFUSED), "could not connect to 127.0.0.1:1"));
                }
                byte[] body = diagnoser.diagnose().toJson().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            StringWriter out = new StringWriter();
            int code = new CommandLine(new StrataCli()).setOut(new PrintWriter(out, true)).execute("doctor", "watch",
                    "--url", "http://127.0.0.1:" + server.getAddress().getPort(), "--interval", "100ms", "--count", "3");
            assertThat(code).isZero();
            String text = out.toString();
            assertThat(text).contains(" healthy").contains(" + L1 connect-refused [inventory]")
                    .contains("first: L1 connect-refused [inventory]");
            assertThat(text.indexOf(" healthy")).isLessThan(text.indexOf("connect-refused"));
            assertThat(polls.get()).isEqualTo(3);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anUnreachableServiceIsSaidOnceAndABadUrlExitsWithTwo() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new StrataCli()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("doctor", "watch", "--url", "http://127.0.0.1:1", "--interval", "10ms", "--count", "3");
        assertThat(code).isZero();
        assertThat(out.toString().split("cannot read the diagnosis", -1)).hasSize(2);
        code = new CommandLine(new StrataCli()).setErr(new PrintWriter(err, true)).execute("doctor", "watch", "--url", "ftp://x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--url");
    }
}
