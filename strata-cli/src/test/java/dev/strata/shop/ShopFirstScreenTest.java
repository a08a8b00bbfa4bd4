package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What a newcomer sees on the first screen of {@code strata shop} (examples/shop.yaml as it ships,
 * its per-client limit included), in a child JVM: the start-up lines, every documented meter in
 * {@code /metrics}, {@code /health/dependencies}, the shutdown lines, and a taken chaos port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopFirstScreenTest {

    /** A meter row of docs/metrics.md: {@code | `strata.x.y` | type | ...}. */
    private static final Pattern METER_ROW = Pattern.compile("^\\| `(strata\\.[a-z.]+)` \\| ([^|]+) \\|");
    private static final Pattern SAMPLE_NAME = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

    private ShopProcess shop;

    @BeforeAll
    void startShop() throws Exception {
        shop = ShopProcess.start(Map.of()); // the file's per-client limit, as a user runs it
    }

    @AfterAll
    void stopShop() throws Exception {
        if (shop != null) {
            shop.close();
        }
    }

    @Test
    @Order(1)
    void theStartPrintsTheDashboardUrlAndTheLimitPerClientAndNoWarning() throws Exception {
        String dashboard = shop.uri().resolve("/strata/dashboard").toString();
        assertThat(shop.output()).contains("shop: dashboard " + dashboard + " (open it in a browser)");
        assertThat(shop.get("/strata/dashboard").statusCode()).isEqualTo(200);
        assertThat(shop.output()).contains("shop: per-client limit on POST /checkout: a burst of 60, then 6 per second"
                + " (token_bucket, 60 per 10s); clients are told apart by the TCP peer address (no proxy trusted)");
        assertThat(shop.output().lines().filter(l -> l.startsWith("WARNING")).toList()).as("warnings at start").isEmpty();
    }

    @Test
    @Order(0)
    void aBurstOfConcurrentCheckoutsRightAfterTheStartIsNotThrottled() throws Exception {
        // Calls still in flight once counted as requests without accepts, so a fresh shop's first
        // concurrent checkouts had payments refused locally while it answered in 200 ms.
        List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());
        try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                running.add(clients.submit(() -> {
                    for (int i = 0; i < 3; i++) {
                        HttpResponse<String> r = shop.post("/checkout");
                        assertThat(r.statusCode()).isEqualTo(200);
                        bodies.add(r.body());
                    }
                    return null;
                }));
            }
            for (var client : running) {
                client.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        assertThat(bodies).hasSize(24).noneMatch(b -> b.contains("throttled"));
        assertThat(shop.get("/metrics").body())
                .contains("strata_throttle_rejected_total{dependency=\"payments\",layer=\"L3\"} 0.0");
    }

    @Test
    @Order(2)
    void everyMeterDocumentedInMetricsMdIsScrapedFromMetrics() throws Exception {
        assertThat(shop.post("/checkout").statusCode()).isEqualTo(200);
        // The meters that exist only once something happened (faults, fallbacks, breaker transitions):
        // payments refuses connections until its breaker opens (the client-side throttle keeps some
        // checkouts from reaching the breaker, so how many it takes varies: at most 40).
        chaos("/proxies/payments", "{\"enabled\":false}");
        try {
            boolean open = false;
            for (int i = 0; i < 40 && !open; i++) {
                HttpResponse<String> checkout = shop.post("/checkout");
                assertThat(checkout.statusCode()).as(checkout.body()).isEqualTo(200);
                assertThat(checkout.body()).contains("\"status\": \"pending\"");
                open = shop.get("/health/dependencies").body().replace(" ", "").contains("\"breaker\":\"OPEN\"");
            }
            assertThat(open).as("the payments breaker opened").isTrue();
        } finally {
            chaos("/proxies/payments", "{\"enabled\":true}");
        }

        String scrape = shop.get("/metrics").body();
        List<String> names = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE_NAME.matcher(line);
            if (!line.startsWith("#") && m.find()) {
                names.add(m.group(1));
            }
        }
        Map<String, String> documented = documentedMeters();
        assertThat(documented).hasSizeGreaterThan(30).containsKeys("strata.pool.connections.opened", "strata.faults");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> meter : documented.entrySet()) {
            String expected = prometheusName(meter.getKey(), meter.getValue());
            if (!names.contains(expected)) {
                missing.add(meter.getKey() + " (" + meter.getValue() + ") as " + expected);
            }
        }
        assertThat(missing).as("documented meters missing from /metrics").isEmpty();
        assertThat(shop.output()).doesNotContain("registration has failed");
    }

    @Test
    @Order(3)
    void healthDependenciesWritesTheRetryBudgetWithoutPaddedZeros() throws Exception {
        assertThat(shop.get("/catalog").statusCode()).isEqualTo(200);
        String body = shop.get("/health/dependencies").body();
        Matcher budget = Pattern.compile("\"retry_budget_available\":([0-9.]+)").matcher(body);
        int found = 0;
        while (budget.find()) {
            found++;
            assertThat(budget.group(1)).as(body).matches("\\d+(\\.\\d{0,3}[1-9])?");
        }
        assertThat(found).isEqualTo(4);
    }

    @Test
    @Order(4)
    void everyShutdownStepIsPrintedOnce() throws Exception {
        shop.sigterm();
        assertThat(shop.awaitExit(Duration.ofSeconds(60))).isTrue();
        String printed = shop.output();
        for (String step : List.of("readiness DOWN", "refuse new work; wait for in-flight", "close owned:database",
                "close data-source orders-db")) {
            assertThat(printed.lines().filter(l -> l.contains(step)).toList()).as("lines with '%s'", step).hasSize(1);
        }
        assertThat(printed).contains("shop: stopped");
    }

    @Test
    @Order(5)
    void aTakenChaosPortEndsTheStartWithAHintToUseChaosPortZero() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ShopProcess.Exit exit = ShopProcess.runToExit(Duration.ofSeconds(120), "--port", "0",
                    "--chaos-port", String.valueOf(taken.getLocalPort()));
            assertThat(exit.code()).as(exit.output()).isEqualTo(1);
            assertThat(exit.output()).contains("strata shop: the chaos API cannot listen on 127.0.0.1:" + taken.getLocalPort(),
                    "--chaos-port 0");
            assertThat(exit.output()).as("nothing started before the port was found taken")
                    .doesNotContain("shop: database PostgreSQL on");
        }
    }

    private void chaos(String path, String body) throws Exception {
        HttpResponse<String> answer = shop.http().send(HttpRequest.newBuilder(shop.chaosUri().resolve(path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    /** Meter name to its type column, from every table of docs/metrics.md. */
    static Map<String, String> documentedMeters() throws Exception {
        Path doc = Path.of("..", "docs", "metrics.md");
        Map<String, String> meters = new LinkedHashMap<>();
        for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
            Matcher m = METER_ROW.matcher(line);
            if (m.find()) {
                meters.put(m.group(1), m.group(2).trim());
            }
        }
        return meters;
    }

    /**
     * The name Prometheus shows, by the rules docs/metrics.md states: dots become underscores,
     * timers and time gauges get {@code _seconds} (a timer is checked by its {@code _count}), ratios
     * {@code _ratio}, counters end in {@code _total}, and a gauge loses a {@code _total} ending.
     */
    static String prometheusName(String meter, String type) {
        String base = meter.replace('.', '_');
        if (type.equals("timer")) {
            return base + "_seconds_count";
        }
        if (type.contains("counter")) {
            return base + "_total";
        }
        if (type.startsWith("time gauge")) {
            return base + "_seconds";
        }
        if (type.contains("ratio")) {
            return base + "_ratio";
        }
        return base.endsWith("_total") ? base.substring(0, base.length() - "_total".length()) : base;
    }
}
