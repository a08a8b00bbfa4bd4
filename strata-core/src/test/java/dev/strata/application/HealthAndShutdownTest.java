package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.strata.observe.EventBus;
import dev.strata.observe.StrataEvent;
import dev.strata.resilience.CircuitBreaker;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthAndShutdownTest {

    private final EventBus bus = EventBus.detached();
    private final List<StrataEvent> events = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private HttpServer server;

    HealthAndShutdownTest() {
        bus.subscribe(events::add);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        client.close();
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private HttpServer serve(Strata strata) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        HealthHandlers.mount(server, strata);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return server;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anOpenBreakerNeverFlipsLivenessOrReadiness() throws Exception {
        try (Strata strata = Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                .dependency("payments", d -> d.breaker(b -> b.mode(CircuitBreaker.Mode.CONSECUTIVE_FAILURES).failureThreshold(1)))
                .build().start()) {
            serve(strata);
            assertThatThrownBy(() -> strata.dependency("payments").execute(() -> {
                throw new java.net.ConnectException("refused");
            })).isNotNull();
            assertThat(strata.dependency("payments").circuitBreaker().orElseThrow().state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(strata.dependency("payments").lastFault()).isPresent();

            HttpResponse<String> live = get("/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"UP\"}");
            assertThat(live.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(get("/health/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> deps = get("/health/dependencies");
            assertThat(deps.statusCode()).isEqualTo(200);
            assertThat(deps.body()).startsWith("{\"status\":\"RUNNING\",\"dependencies\":{\"payments\":{\"breaker\":\"OPEN\"");
            assertThat(strata.health().dependencies().get(0).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(get("/health/other").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void aProcessLevelLivenessCheckIsTheOnlyThingBesidesTheRuntimeThatFailsLiveness() throws Exception {
        BooleanSupplier serverAlive = () -> false;
        try (Strata strata = Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofSeconds(5))
                .livenessCheck("event-loop", serverAlive).build().start()) {
            serve(strata);
            HttpResponse<String> live = get("/health/live");
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).isEqualTo("{\"status\":\"DOWN\",\"reasons\":[\"liveness check 'event-loop' failed\"]}");
        }
    }

    @Test
    void notReadyBeforeStart() {
        try (Strata strata = Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofSeconds(5)).build()) {
            assertThat(strata.health().ready().status()).isEqualTo("STARTING");
            assertThat(strata.health().live().up()).isTrue();
        }
    }

    @Test
    void shutdownTurnsReadinessDownFirstPausesThenRefusesNewWorkAndLetsInFlightWorkFinish() throws Exception {
        Strata strata = Strata.builder().events(bus).shutdown(Duration.ofMillis(200), Duration.ofSeconds(10)).build().start();
        serve(strata);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.createContext("/work", exchange -> {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "done".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }).getFilters().add(HealthHandlers.admission(strata));
        server.createContext("/quick", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        }).getFilters().add(HealthHandlers.admission(strata));

        assertThat(get("/health/ready").statusCode()).isEqualTo(200); // probed: the pause applies
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create(base() + "/work")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(strata.inFlight()).isEqualTo(1);

        CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(strata::shutdown);
        awaitState(strata, Strata.State.DRAINING);
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).startsWith("{\"status\":\"DRAINING\"");
        assertThat(get("/health/live").statusCode()).isEqualTo(200); // draining is not dead

        awaitState(strata, Strata.State.REFUSING);
        HttpResponse<String> refused = get("/quick");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("\"status\":\"DRAINING\"");
        assertThatThrownBy(strata::admit).isInstanceOf(ShuttingDownException.class);
        assertThat(shutdown).isNotDone();

        release.countDown();
        assertThat(inFlight.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        ShutdownReport report = shutdown.get(10, TimeUnit.SECONDS);
        assertThat(report.forced()).isFalse();
        assertThat(report.unfinished()).isZero();
        assertThat(report.steps()).extracting(ShutdownStep::step).startsWith("readiness DOWN", "pause",
                "refuse new work; wait for in-flight");
        assertThat(report.steps().get(1).detail()).isEmpty(); // the pause ran, it was not skipped
        assertThat(report.steps().get(2).detail()).isEqualTo("1 in flight finished");
        assertThat(events).extracting(StrataEvent::type).contains("shutdown.begin", "shutdown.step", "shutdown.end");
        assertThat(events.stream().filter(e -> e.type().equals("shutdown.step")).map(StrataEvent::message))
                .allMatch(m -> m.matches("shutdown: .+ \\(\\d.*\\).*"));
        assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        assertThat(get("/health/live").statusCode()).isEqualTo(503);
    }

    @Test
    void theBudgetsEndForcesTheRestAndSaysWhatWasUnfinished() {
        Strata strata = Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofMillis(200)).build().start();
        Strata.Admission stuck = strata.admit();
        ShutdownReport report = strata.shutdown();
        assertThat(report.forced()).isTrue();
        assertThat(report.unfinished()).isEqualTo(1);
        assertThat(report.steps().get(2).detail()).isEqualTo("1 of 1 still in flight at budget end; forcing the rest");
        assertThat(report.steps().get(1).detail()).isEqualTo("skipped: readiness was never probed");
        assertThat(strata.state()).isEqualTo(Strata.State.CLOSED);
        stuck.close();
        stuck.close(); // harmless
        assertThat(strata.inFlight()).isZero();
        assertThat(strata.shutdown()).isSameAs(report); // idempotent
    }

    @Test
    void forceShutdownCutsTheWaitShort() throws Exception {
        Strata strata = Strata.builder().events(bus).shutdown(Duration.ZERO, Duration.ofMinutes(10)).build().start();
        try (Strata.Admission stuck = strata.admit()) {
            CompletableFuture<ShutdownReport> shutdown = CompletableFuture.supplyAsync(strata::shutdown);
            awaitState(strata, Strata.State.REFUSING);
            strata.forceShutdown();
            ShutdownReport report = shutdown.get(10, TimeUnit.SECONDS);
            assertThat(report.forced()).isTrue();
            assertThat(report.steps().get(2).detail()).contains("at forced shutdown");
        }
    }

    private static void awaitState(Strata strata, Strata.State state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (strata.state().compareTo(state) < 0) {
            assertThat(System.nanoTime() - end).as("waiting for " + state).isNegative();
            Thread.sleep(5);
        }
    }
}
