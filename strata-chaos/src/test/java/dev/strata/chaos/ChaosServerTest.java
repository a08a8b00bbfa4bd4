package dev.strata.chaos;

import static dev.strata.chaos.ChaosProxyTest.millisSince;
import static dev.strata.chaos.ChaosProxyTest.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.internal.Json;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control API over raw HTTP: status codes, error bodies, PATCH, populate, Strata's own toxics. */
class ChaosServerTest {

    private EchoServer echo;
    private ChaosServer server;
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        EventBus bus = EventBus.detached();
        bus.subscribe(events::add);
        server = ChaosServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), bus);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        http.close();
        echo.close();
    }

    @Test
    void createPatchAndReadBackAProxyWithStrataToxics() throws Exception {
        HttpResponse<String> created = send("POST", "/proxies",
                "{\"name\":\"db\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"" + upstream() + "\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).contains("\"name\":\"db\"", "\"enabled\":true", "\"toxics\":[]");

        HttpResponse<String> toxic = send("POST", "/proxies/db/toxics",
                "{\"type\":\"idle_blackhole\",\"attributes\":{\"timeout\":200}}");
        assertThat(toxic.statusCode()).isEqualTo(200);
        assertThat(Json.parse(toxic.body(), "body")).isEqualTo(Map.of("name", "idle_blackhole_downstream", "type", "idle_blackhole",
                "stream", "downstream", "toxicity", 1.0, "attributes", Map.of("timeout", 200L)));

        HttpResponse<String> patched = send("PATCH", "/proxies/db/toxics/idle_blackhole_downstream",
                "{\"attributes\":{\"timeout\":250}}");
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(patched.body()).contains("\"timeout\":250");

        ChaosProxy proxy = server.proxy("db").orElseThrow();
        try (Socket socket = new Socket(proxy.listenAddress().getAddress(), proxy.port())) {
            socket.setSoTimeout(3_000);
            assertThat(roundTrip(socket, "hi")).isEqualTo("hi");
            Thread.sleep(400);
            socket.setSoTimeout(400);
            socket.getOutputStream().write('x');
            long start = System.nanoTime();
            try {
                socket.getInputStream().read();
                throw new AssertionError("the black hole answered");
            } catch (SocketTimeoutException expected) {
                assertThat(millisSince(start)).isGreaterThanOrEqualTo(350);
            }
        }

        HttpResponse<String> disabled = send("PATCH", "/proxies/db", "{\"enabled\":false}");
        assertThat(disabled.statusCode()).isEqualTo(200);
        assertThat(disabled.body()).contains("\"enabled\":false");
        assertThat(events).extracting(StrataEvent::type)
                .contains("chaos.proxy-created", "chaos.toxic-added", "chaos.toxic-updated", "chaos.proxy-disabled");
    }

    @Test
    void idleCloseWithResetThroughTheApi() throws Exception {
        send("POST", "/proxies", "{\"name\":\"lb\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"" + upstream() + "\"}");
        HttpResponse<String> toxic = send("POST", "/proxies/lb/toxics",
                "{\"name\":\"lb-idle\",\"type\":\"idle_close\",\"attributes\":{\"timeout\":200,\"reset\":true}}");
        assertThat(toxic.body()).contains("\"reset\":true");
        ChaosProxy proxy = server.proxy("lb").orElseThrow();
        try (Socket socket = new Socket(proxy.listenAddress().getAddress(), proxy.port())) {
            socket.setSoTimeout(3_000);
            assertThat(roundTrip(socket, "hi")).isEqualTo("hi");
            try {
                socket.getInputStream().read();
                throw new AssertionError("expected a reset");
            } catch (java.net.SocketException reset) {
                assertThat(reset.getMessage()).contains("reset");
            }
        }
    }

    @Test
    void badRequestsGetToxiproxyStatusCodesAndJsonErrors() throws Exception {
        String body = "{\"name\":\"p\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"" + upstream() + "\"}";
        assertThat(send("POST", "/proxies", body).statusCode()).isEqualTo(201);
        assertError(send("POST", "/proxies", body), 409, "already exists");
        assertError(send("POST", "/proxies", "{not json"), 400, "not valid JSON");
        assertError(send("POST", "/proxies", "{\"name\":\"q\",\"listen\":\"nowhere\",\"upstream\":\"" + upstream() + "\"}"), 400, "listen");
        assertError(send("POST", "/proxies", "{\"name\":\"q\",\"upstream\":\"127.0.0.1:99999\"}"), 400, "upstream.port");
        String taken = ChaosProxy.format(server.proxy("p").orElseThrow().listenAddress());
        assertError(send("POST", "/proxies", "{\"name\":\"q\",\"listen\":\"" + taken + "\",\"upstream\":\"" + upstream() + "\"}"), 409, "cannot listen");
        assertError(send("GET", "/proxies/nope", null), 404, "proxy not found");
        assertError(send("GET", "/proxies/p/toxics/nope", null), 404, "toxic not found");
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"wormhole\"}"), 400, "type");
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\",\"attributes\":{\"latncy\":5}}"), 400, "attributes.latncy");
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\",\"attributes\":{\"latency\":\"5\"}}"), 400, "whole number");
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\",\"toxicity\":2}"), 400, "toxicity");
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\",\"stream\":\"sideways\"}"), 400, "stream");
        assertThat(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\"}").statusCode()).isEqualTo(200);
        assertError(send("POST", "/proxies/p/toxics", "{\"type\":\"latency\"}"), 409, "already exists");
        assertError(send("DELETE", "/reset", null), 405, "method");
        assertError(send("PUT", "/proxies/p", "{}"), 405, "method");
        assertError(send("GET", "/nothing", null), 404, "no such endpoint");
        assertThat(send("GET", "/version", null).body()).contains(ChaosServer.VERSION);
        // still serving after all that
        assertThat(send("GET", "/proxies", null).statusCode()).isEqualTo(200);
        assertThat(send("DELETE", "/proxies/p/toxics/latency_downstream", null).statusCode()).isEqualTo(204);
        assertThat(send("DELETE", "/proxies/p", null).statusCode()).isEqualTo(204);
        assertError(send("DELETE", "/proxies/p", null), 404, "proxy not found");
    }

    @Test
    void populateCreatesKeepsAndReplaces() throws Exception {
        String document = "[{\"name\":\"a\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"" + upstream() + "\"},"
                + "{\"name\":\"b\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"" + upstream() + "\",\"enabled\":false,"
                + "\"toxics\":[{\"type\":\"latency\",\"stream\":\"upstream\",\"attributes\":{\"latency\":5}}]}]";
        HttpResponse<String> populated = send("POST", "/populate", document);
        assertThat(populated.statusCode()).isEqualTo(201);
        assertThat(server.proxies()).hasSize(2);
        ChaosProxy a = server.proxy("a").orElseThrow();
        assertThat(server.proxy("b").orElseThrow().isEnabled()).isFalse();
        assertThat(server.proxy("b").orElseThrow().toxics()).extracting(Toxic::name).containsExactly("latency_upstream");

        String again = "[{\"name\":\"a\",\"listen\":\"" + ChaosProxy.format(a.listenAddress()) + "\",\"upstream\":\"" + upstream() + "\"}]";
        assertThat(send("POST", "/populate", again).statusCode()).isEqualTo(201);
        assertThat(server.proxy("a").orElseThrow()).as("unchanged proxy kept").isSameAs(a);

        assertError(send("POST", "/populate", "[{\"name\":\"c\"}]"), 400, "upstream");
        assertThat(server.proxy("c")).isEmpty();
    }

    private void assertError(HttpResponse<String> response, int status, String fragment) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        Object json = Json.parse(response.body(), "body");
        assertThat(json).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) json).get("status")).isEqualTo((long) status);
        assertThat((String) ((Map<?, ?>) json).get("error")).contains(fragment);
    }

    private String upstream() {
        return "127.0.0.1:" + echo.address().getPort();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(Duration.ofSeconds(10));
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
