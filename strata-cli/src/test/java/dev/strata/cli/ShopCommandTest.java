package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.shop.ShopProcess;
import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code strata shop} as a child JVM, as a user runs it: one process for the class, driven over
 * HTTP, broken through its chaos API with the official Toxiproxy client, and finally stopped with
 * SIGTERM under load. The tests run in order on the same process; the last one ends it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** examples/shop.yaml's numbers, which the shop runs with. */
    private static final Duration CHECKOUT_BUDGET = Duration.ofSeconds(5);
    private static final Duration DRAIN_PAUSE = Duration.ofSeconds(2);
    private static final Duration SHUTDOWN_BUDGET = Duration.ofSeconds(20);
    /**
     * Scheduling slack on top of a bound the shop guarantees by construction (the deadline, the
     * shutdown budget): a shared 2-core machine can stall any process for a second or two.
     */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private ShopProcess shop;
    private ToxiproxyClient toxiproxy;

    @BeforeAll
    void start() throws Exception {
        shop = ShopProcess.start();
        toxiproxy = new ToxiproxyClient("127.0.0.1", shop.chaosPort());
    }

    @AfterAll
    void stop() throws Exception {
        if (shop != null) {
            shop.close();
        }
    }

    @Test
    @Order(1)
    void servesTheOrderEndpointsHealthAndOneProxyPerDependency() throws Exception {
        HttpResponse<String> catalog = shop.get("/catalog");
        assertThat(catalog.statusCode()).as(catalog.body()).isEqualTo(200);
        assertThat(JSON.readTree(catalog.body()).get("products")).hasSize(10);

        JsonNode checkout = json(shop.post("/checkout"), 200);
        assertThat(checkout.get("status").asText()).isEqualTo("confirmed");
        assertThat(checkout.get("fallback_reason").isNull()).isTrue();

        JsonNode recommendations = json(shop.get("/recommendations?user=3"), 200);
        assertThat(recommendations.get("items").get(0).asLong()).isEqualTo(4);
        assertThat(json(shop.get("/recommendations?user=abc"), 400).get("error").asText())
                .contains("user: 'abc' is not allowed");

        assertThat(shop.get("/health/live").statusCode()).isEqualTo(200);
        assertThat(json(shop.get("/health/ready"), 200).get("status").asText()).isEqualTo("UP");
        JsonNode dependencies = json(shop.get("/health/dependencies"), 200).get("dependencies");
        assertThat(dependencies.fieldNames()).toIterable()
                .containsExactlyInAnyOrder("orders-db", "payments", "inventory", "recommendations");
        assertThat(dependencies.at("/orders-db/pool/total").asInt()).isPositive();

        assertThat(shop.get("/no-such-page").statusCode()).isEqualTo(404);
        HttpResponse<String> wrongMethod = shop.http().send(HttpRequest.newBuilder(shop.uri().resolve("/catalog"))
                .DELETE().timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("GET, HEAD");

        assertThat(toxiproxy.getProxies()).extracting(Proxy::getName)
                .containsExactlyInAnyOrder("orders-db", "payments", "inventory", "recommendations");
        assertThat(shop.output()).contains("proxy payments listening on 127.0.0.1:");
    }

    /** An answer and how long it took. */
    private record Timed(JsonNode answer, Duration took) {
    }

    @Test
    @Order(2)
    void slowPaymentsTurnCheckoutsPendingWithinTheBudget() throws Exception {
        Proxy payments = toxiproxy.getProxy("payments");
        payments.toxics().latency("slow-payments", ToxicDirection.DOWNSTREAM, 3_000);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Timed>> checkouts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                checkouts.add(clients.submit(() -> {
                    long start = System.nanoTime();
                    JsonNode answer = json(shop.post("/checkout"), 200);
                    return new Timed(answer, Duration.ofNanos(System.nanoTime() - start));
                }));
            }
            for (Future<Timed> checkout : checkouts) {
                Timed timed = checkout.get(60, TimeUnit.SECONDS);
                assertThat(timed.answer().get("status").asText()).as(timed.toString()).isEqualTo("pending");
                assertThat(timed.answer().get("fallback_reason").asText()).as(timed.toString()).startsWith("RESILIENCE/");
                assertThat(timed.took()).as("checkout time, %s", timed).isLessThanOrEqualTo(CHECKOUT_BUDGET.plus(SLACK));
            }
        } finally {
            payments.toxics().get("slow-payments").remove();
        }
        assertThat(json(shop.get("/health/dependencies"), 200).at("/dependencies/payments/last_fault/kind").asText())
                .isNotEmpty();
    }

    @Test
    @Order(3)
    void anOpenBreakerLeavesTheShopLiveAndReady() throws Exception {
        Proxy payments = toxiproxy.getProxy("payments");
        payments.disable(); // connections to payments are refused: each checkout fails fast and falls back
        try {
            String breaker = "";
            for (int i = 0; i < 30 && !breaker.equals("OPEN"); i++) {
                assertThat(json(shop.post("/checkout"), 200).get("status").asText()).isEqualTo("pending");
                breaker = json(shop.get("/health/dependencies"), 200).at("/dependencies/payments/breaker").asText();
            }
            assertThat(breaker).isEqualTo("OPEN");
            assertThat(shop.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(shop.get("/health/ready").statusCode()).isEqualTo(200);
            JsonNode refused = json(shop.post("/checkout"), 200);
            assertThat(refused.get("status").asText()).isEqualTo("pending");
            assertThat(refused.get("fallback_reason").asText()).contains("circuit-open");
        } finally {
            payments.enable();
        }
    }

    /** One request of the load: when it started and ended, and how it ended. */
    private record Outcome(String what, long startNanos, long endNanos, int status, String body, Throwable failure) {
        boolean startedBefore(long instant) {
            return startNanos - instant < 0;
        }
    }

    @Test
    @Order(4)
    void sigtermUnderLoadFinishesEveryInFlightRequestAndLeavesNothingBehind() throws Exception {
        // Slow enough that requests are surely in flight when the signal arrives.
        toxiproxy.getProxy("inventory").toxics().latency("slow-inventory", ToxicDirection.DOWNSTREAM, 300);
        toxiproxy.getProxy("orders-db").toxics().latency("slow-db", ToxicDirection.DOWNSTREAM, 30);
        Set<ProcessHandle> postgres = shop.postgresProcesses();
        assertThat(postgres).as("the PostgreSQL server and its backends").hasSizeGreaterThan(1);
        int shopPort = shop.uri().getPort();

        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 12; c++) {
            boolean checkout = c % 2 == 0;
            clients.add(Thread.ofVirtual().name("load-" + c).start(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<String> answer = checkout ? shop.post("/checkout") : shop.get("/catalog");
                        outcomes.add(new Outcome(checkout ? "checkout" : "catalog", start, System.nanoTime(),
                                answer.statusCode(), answer.body(), null));
                    } catch (IOException | InterruptedException e) {
                        outcomes.add(new Outcome(checkout ? "checkout" : "catalog", start, System.nanoTime(), 0, null, e));
                        if (e instanceof ConnectException || e.getCause() instanceof ConnectException
                                || e instanceof InterruptedException) {
                            return; // nothing listens any more: the shop is gone
                        }
                    }
                }
            }));
        }
        Thread.sleep(1_500);
        long sigterm = System.nanoTime();
        shop.sigterm();

        // Readiness turns 503 first, while requests are still served.
        int readyStatus = 0;
        long drainEnd = sigterm + DRAIN_PAUSE.toNanos();
        while (readyStatus != 503 && System.nanoTime() - drainEnd < 0) {
            try {
                readyStatus = shop.get("/health/ready").statusCode();
            } catch (IOException closedAlready) {
                break;
            }
            Thread.sleep(50);
        }

        boolean exited = shop.awaitExit(DRAIN_PAUSE.plus(SHUTDOWN_BUDGET).plus(SLACK).plusSeconds(10));
        long exitNanos = System.nanoTime() - sigterm;
        stop.set(true);
        for (Thread client : clients) {
            assertThat(client.join(Duration.ofSeconds(40))).as("load client ended").isTrue();
        }
        String printed = shop.output();
        assertThat(exited).as("exited after SIGTERM; printed:%n%s", printed).isTrue();
        assertThat(readyStatus).as("readiness during the drain pause").isEqualTo(503);

        List<Outcome> before = outcomes.stream().filter(o -> o.startedBefore(sigterm)).toList();
        List<Outcome> inFlight = before.stream().filter(o -> o.endNanos() - sigterm > 0).toList();
        List<Outcome> failedBefore = before.stream().filter(o -> o.status() != 200).toList();
        assertThat(inFlight).as("requests in flight when SIGTERM arrived").isNotEmpty();
        assertThat(failedBefore).as("requests sent before SIGTERM that did not succeed; printed:%n%s", printed).isEmpty();
        for (Outcome after : outcomes.stream().filter(o -> !o.startedBefore(sigterm)).toList()) {
            // After the signal: served (drain pause), refused with 503, or no longer accepted at all.
            if (after.failure() == null) {
                assertThat(after.status()).as(after.toString()).isIn(200, 503);
                if (after.status() == 503) {
                    assertThat(after.body()).contains("shutting down");
                }
            }
        }
        assertThat(Duration.ofNanos(exitNanos)).as("SIGTERM to exit")
                .isLessThanOrEqualTo(DRAIN_PAUSE.plus(SHUTDOWN_BUDGET).plus(SLACK));
        assertThat(printed).contains("shutdown: refuse new work; wait for in-flight", "in flight finished", "close owned:database",
                        "shop: stopped in ")
                .doesNotContain("forced");

        for (ProcessHandle process : postgres) {
            assertThat(process.onExit().completeOnTimeout(process, 10, TimeUnit.SECONDS).get().isAlive())
                    .as("PostgreSQL process %d after the shop exited", process.pid()).isFalse();
        }
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), shopPort).close())
                .as("nothing listens on the shop's port").isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), shop.databasePort()).close())
                .as("nothing listens on PostgreSQL's port").isInstanceOf(ConnectException.class);
        System.out.printf("shop SIGTERM under load: %d requests before the signal (%d in flight at it, 0 failed),"
                        + " %d after; exited %d ms after SIGTERM%n",
                before.size(), inFlight.size(), outcomes.size() - before.size(), TimeUnit.NANOSECONDS.toMillis(exitNanos));
        printed.lines().filter(line -> line.contains("shutdown") || line.startsWith("strata shop:") || line.startsWith("shop: stopped"))
                .forEach(System.out::println);
    }

    private static JsonNode json(HttpResponse<String> response, int expectedStatus) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expectedStatus);
        return JSON.readTree(response.body());
    }
}
