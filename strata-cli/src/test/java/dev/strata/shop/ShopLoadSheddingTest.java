package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Criticality-aware shedding at the edge of a running {@code strata shop} (a child JVM, the file as
 * it ships: {@code http.load_shedding} on, no numbers tuned for this test): while the
 * recommendations service is slowed through the chaos API and far more {@code /recommendations}
 * requests arrive than the edge's adaptive limit admits, the sheddable route is answered 503 +
 * {@code Retry-After} and the critical {@code /checkout} keeps being answered 200.
 */
class ShopLoadSheddingTest {

    /** Closed-loop clients per route: recommendations far beyond the edge's initial limit (100), checkouts well below it. */
    private static final int RECOMMENDATION_CLIENTS = 160;
    private static final int CHECKOUT_CLIENTS = 8;
    /** Each client's bound: the test sends at most 168 x 40 requests, and none runs longer than {@link #LOAD}. */
    private static final int REQUESTS_PER_CLIENT = 40;
    private static final Duration LOAD = Duration.ofSeconds(8);

    record Answer(String path, int status, String retryAfter, String body) {
    }

    @Test
    void underOverloadRecommendationsAreShedWith503WhileCheckoutsSucceed() throws Exception {
        try (ShopProcess shop = ShopProcess.start()) {
            // Healthy traffic first, so the edge's baseline latency is the shop's normal one.
            for (int i = 0; i < 30; i++) {
                assertThat(shop.get("/recommendations?user=" + (i + 1)).statusCode()).isEqualTo(200);
                assertThat(shop.post("/checkout").statusCode()).isEqualTo(200);
            }
            int threadsBefore = Thread.activeCount();
            ToxiproxyClient chaos = new ToxiproxyClient("127.0.0.1", shop.chaosPort());
            Proxy recommendations = chaos.getProxy("recommendations");
            recommendations.toxics().latency("slow-recommendations", ToxicDirection.DOWNSTREAM, 300);
            ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
            AtomicInteger failed = new AtomicInteger();
            long end = System.nanoTime() + LOAD.toNanos();
            ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
            // The load's own client, closed with it: its selector and worker threads must end too.
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).executor(clients).build();
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < RECOMMENDATION_CLIENTS + CHECKOUT_CLIENTS; c++) {
                    boolean checkout = c < CHECKOUT_CLIENTS;
                    int user = c + 1;
                    running.add(clients.submit(() -> {
                        for (int i = 0; i < REQUESTS_PER_CLIENT && System.nanoTime() - end < 0; i++) {
                            HttpRequest.Builder request = HttpRequest.newBuilder().timeout(Duration.ofSeconds(15));
                            request = checkout
                                    ? request.uri(shop.uri().resolve("/checkout")).POST(HttpRequest.BodyPublishers.noBody())
                                    : request.uri(shop.uri().resolve("/recommendations?user=" + user)).GET();
                            try {
                                HttpResponse<String> a = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                                answers.add(new Answer(checkout ? "/checkout" : "/recommendations", a.statusCode(),
                                        a.headers().firstValue("Retry-After").orElse(null), a.body()));
                            } catch (java.io.IOException e) {
                                failed.incrementAndGet(); // counted against the route's share below
                                answers.add(new Answer(checkout ? "/checkout" : "/recommendations", -1, null, e.toString()));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> client : running) {
                    client.get(60, TimeUnit.SECONDS);
                }
            } finally {
                http.close();
                clients.shutdown();
                if (!clients.awaitTermination(30, TimeUnit.SECONDS)) {
                    clients.shutdownNow();
                }
                recommendations.toxics().get("slow-recommendations").remove();
            }

            List<Answer> checkouts = answers.stream().filter(a -> a.path().equals("/checkout")).toList();
            List<Answer> recs = answers.stream().filter(a -> a.path().equals("/recommendations")).toList();
            List<Answer> shed = recs.stream().filter(a -> a.status() == 503).toList();
            long checkoutsOk = checkouts.stream().filter(a -> a.status() == 200).count();
            long recsOk = recs.stream().filter(a -> a.status() == 200).count();
            System.out.printf("edge shedding under overload (recommendations +300 ms, %d + %d closed-loop clients, %d s):"
                    + " checkouts %d/%d answered 200, recommendations %d answered 200, %d shed with 503, %d failed on the wire;"
                    + " checkouts shed: %d%n", RECOMMENDATION_CLIENTS, CHECKOUT_CLIENTS, LOAD.toSeconds(), checkoutsOk,
                    checkouts.size(), recsOk, shed.size(), failed.get(),
                    checkouts.stream().filter(a -> a.status() == 503).count());

            // What the checkouts not answered 200 got, for the failure message.
            String notServed = checkouts.stream().filter(a -> a.status() != 200)
                    .collect(java.util.stream.Collectors.groupingBy(a -> a.status() + " " + a.body(),
                            java.util.stream.Collectors.counting())).toString();
            System.out.println("checkouts not answered 200: " + notServed);
            assertThat(checkouts).hasSizeGreaterThanOrEqualTo(CHECKOUT_CLIENTS * 3);
            assertThat((double) checkoutsOk / checkouts.size()).as("share of checkouts answered 200; the others: %s", notServed).isGreaterThanOrEqualTo(0.99);
            assertThat(shed).as("recommendations shed at the edge").isNotEmpty()
                    .allSatisfy(a -> {
                        assertThat(a.retryAfter()).isNotNull();
                        assertThat(Long.parseLong(a.retryAfter())).isPositive();
                        assertThat(a.body()).contains("\"error\":\"overloaded\"", "\"criticality\":\"sheddable\"");
                    });
            assertThat(recsOk).as("recommendations still served within the limit").isPositive();
            assertThat(failed.get()).as("requests failed on the wire").isZero();

            // The edge's limit is on /metrics (and so on the dashboard), with what it refused.
            String metrics = shop.get("/metrics").body();
            assertThat(metrics).as("the edge's adaptive limit on /metrics")
                    .containsPattern("strata_adaptive_limit\\{[^}]*dependency=\"shop-edge\"[^}]*\\} [1-9]")
                    .containsPattern("strata_adaptive_limit_rejected_total\\{criticality=\"sheddable\",dependency=\"shop-edge\"[^}]*\\} [1-9]")
                    .containsPattern("strata_adaptive_limit_rejected_total\\{criticality=\"critical\",dependency=\"shop-edge\"[^}]*\\} [0-9]");

            // The shop recovers: the toxic is gone and the sheddable route is served again.
            long recovered = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int status = shop.get("/recommendations?user=1").statusCode();
            while (status != 200 && System.nanoTime() - recovered < 0) {
                Thread.sleep(200);
                status = shop.get("/recommendations?user=1").statusCode();
            }
            assertThat(status).isEqualTo(200);

            // The load's client threads (its selector, the virtual clients) ended with it.
            long settled = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Thread.activeCount() > threadsBefore && System.nanoTime() - settled < 0) {
                Thread.sleep(50);
            }
            assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore);
        }
    }
}
