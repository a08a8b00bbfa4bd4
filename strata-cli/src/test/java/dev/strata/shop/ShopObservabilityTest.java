package dev.strata.shop;

import dev.strata.dashboard.Browser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code /metrics} and {@code /strata/dashboard} of a running {@code strata shop} (a child JVM
 * with its embedded PostgreSQL and simulated downstreams), scraped and driven as a user would:
 * the Prometheus text is parsed line by line, and the dashboard is watched in headless chromium
 * while a latency toxic on payments, set through the chaos API, opens the payments breaker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopObservabilityTest {

    /** {@code name{labels} value [timestamp]}, Prometheus' text exposition format 0.0.4. */
    private static final Pattern SAMPLE = Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+-?\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private ShopProcess shop;

    @BeforeAll
    void startShop() throws Exception {
        shop = ShopProcess.start();
    }

    @AfterAll
    void stopShop() throws Exception {
        if (shop != null) {
            shop.close();
        }
    }

    private record Sample(String name, Map<String, String> labels, double value) {
    }

    @Test
    @Order(1)
    void metricsAreServedInPrometheusTextFormat() throws Exception {
        assertThat(shop.get("/catalog").statusCode()).isEqualTo(200);
        assertThat(shop.post("/checkout").statusCode()).isEqualTo(200);

        HttpResponse<String> scrape = shop.get("/metrics");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        List<Sample> samples = parse(scrape.body());

        assertThat(value(samples, "strata_calls_seconds_count", "dependency", "payments", "kind", "successful_without_retry",
                "layer", "L3")).isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "strata_circuitbreaker_state", "dependency", "payments", "state", "closed")).isEqualTo(1);
        assertThat(value(samples, "strata_pool_connections_max", "dependency", "orders-db", "layer", "L2")).isEqualTo(8);
        assertThat(value(samples, "strata_pool_connections_idle", "dependency", "orders-db")).isGreaterThanOrEqualTo(0);
        assertThat(value(samples, "strata_adaptive_limit", "dependency", "payments")).isBetween(1.0, 200.0); // sizes itself
        assertThat(samples).anySatisfy(s -> assertThat(s.name()).isEqualTo("strata_adaptive_limit_rejected_total"));
        assertThat(samples).anySatisfy(s -> assertThat(s.name()).isEqualTo("strata_throttle_probability_ratio"));
        assertThat(samples).anySatisfy(s -> assertThat(s.name()).isEqualTo("strata_pool_connections_stale_total"));
        assertThat(scrape.body()).contains("# TYPE strata_calls_seconds summary", "# HELP strata_calls_seconds ");
    }

    @Test
    @Order(2)
    void dashboardFollowsAPaymentsFaultInARealBrowser() throws Exception {
        assumeTrue(Browser.installed(), "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
        ToxiproxyClient chaos = new ToxiproxyClient("127.0.0.1", shop.chaosPort());
        Proxy payments = chaos.getProxy("payments");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong checkouts = new AtomicLong();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try (Browser browser = Browser.open(1280, 1200)) {
            for (int i = 0; i < 8; i++) {
                clients.submit(() -> {
                    while (running.get()) {
                        shop.post("/checkout"); // answers 200 either way: a fallback marks the order pending
                        checkouts.incrementAndGet();
                        Thread.sleep(50);
                    }
                    return null;
                });
            }
            browser.driver.get(shop.uri().resolve("/strata/dashboard").toString());
            WebDriverWait wait = new WebDriverWait(browser.driver, Duration.ofSeconds(20), Duration.ofMillis(100));
            for (String layer : List.of("L1", "L2", "L3", "L4")) {
                wait.until(d -> "true".equals(d.findElement(By.id("panel-" + layer)).getAttribute("data-has-data")));
            }
            wait.until(d -> "CLOSED".equals(breaker(browser, "payments")));
            assertThat(browser.consoleErrors()).isEmpty();
            browser.screenshot(Path.of("target", "dashboard-shop-healthy.png"));

            payments.toxics().latency("slow-payments", ToxicDirection.DOWNSTREAM, 3_000);
            try {
                new WebDriverWait(browser.driver, Duration.ofSeconds(5), Duration.ofMillis(50))
                        .until(d -> "OPEN".equals(breaker(browser, "payments")));
                assertThat(browser.driver.findElement(By.id("panel-L3")).getAttribute("data-status")).isEqualTo("broken");
                Thread.sleep(1500); // a second more of charts under fault for the screenshot
                browser.screenshot(Path.of("target", "dashboard-shop-payments-open.png"));
            } finally {
                payments.toxics().get("slow-payments").remove();
            }
            // The breaker waits out its open time (10 s), two probes close it, and the rates clear 5 s later.
            new WebDriverWait(browser.driver, Duration.ofSeconds(45), Duration.ofMillis(200))
                    .until(d -> "CLOSED".equals(breaker(browser, "payments"))
                            && "healthy".equals(d.findElement(By.id("panel-L3")).getAttribute("data-status")));
            assertThat(browser.consoleErrors()).isEmpty();
            assertThat(checkouts.get()).isPositive();
        } finally {
            running.set(false); // before closing the executor, which waits for the clients' loops to end
            clients.shutdown();
            if (!clients.awaitTermination(60, TimeUnit.SECONDS)) {
                clients.shutdownNow();
            }
        }
        assertThat(Files.size(Path.of("target", "dashboard-shop-payments-open.png"))).isPositive();
    }

    private static String breaker(Browser browser, String dependency) {
        // The table is rebuilt with every sample: read it in one script call, never through a stale element.
        return (String) browser.driver.executeScript(
                "var c = document.querySelector(\"td[data-breaker='\" + arguments[0] + \"']\"); return c ? c.textContent : null;",
                dependency);
    }

    /** Parses every line; a line that is neither a comment nor a sample fails the test. */
    static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("a Prometheus sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                int end = 0;
                while (l.find() && l.start() == end) {
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                assertThat(end).as("labels of %s", line).isEqualTo(m.group(2).length());
            }
            String raw = m.group(3);
            double value = switch (raw) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(raw);
            };
            samples.add(new Sample(m.group(1), labels, value));
        }
        assertThat(samples).isNotEmpty();
        return samples;
    }

    private static double value(List<Sample> samples, String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                    return false;
                }
            }
            return true;
        }).mapToDouble(Sample::value).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + " " + List.of(labels) + " in the scrape"));
    }
}
