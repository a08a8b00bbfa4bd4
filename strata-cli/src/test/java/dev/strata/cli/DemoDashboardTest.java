package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code strata demo --dashboard}: prints the page's URL and serves the Strata variant's meters while the phases run. */
class DemoDashboardTest {

    private static final Pattern URL = Pattern.compile("dashboard: (http://127\\.0\\.0\\.1:\\d+/strata/dashboard)");

    @Test
    void theDemoServesItsDashboardUntilThePhasesEnd() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new OutputStream() {
            @Override
            public synchronized void write(int b) {
                screen.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                screen.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> demo = CompletableFuture.supplyAsync(() ->
                new CommandLine(new DemoCommand(out)).execute("--quick", "--phase", "steady", "--dashboard"));
        String url = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (url == null && System.nanoTime() < end && !demo.isDone()) {
            Matcher m = URL.matcher(screen.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                url = m.group(1);
            } else {
                Thread.sleep(100);
            }
        }
        assertThat(url).as("the printed dashboard URL; the demo printed:%n%s", screen).isNotNull();

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"panel-L1\"", "id=\"panel-L4\"", "/strata/dashboard/dashboard.js");
        // Poll until the first checkouts have run through the Strata variant's pipelines.
        JsonNode sample = null;
        while (System.nanoTime() < end && !demo.isDone()) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url + "/sample"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            sample = new ObjectMapper().readTree(answer.body());
            if (sample.at("/layers/L3/rows").size() >= 3 && sample.at("/layers/L2/rows").size() >= 1) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(sample).isNotNull();
        assertThat(sample.at("/layers/L3/rows").findValuesAsText("name")).contains("payments", "inventory", "recommendations");
        assertThat(sample.at("/layers/L2/rows/0/name").asText()).isEqualTo("orders-db");
        assertThat(sample.at("/layers/L4/rows").findValuesAsText("value")).anySatisfy(v -> assertThat(v).contains("time compressed"));

        assertThat(demo.get(180, TimeUnit.SECONDS)).as(screen.toString(StandardCharsets.UTF_8)).isZero();
        String finalUrl = url;
        // Once the phases ended the page is gone: the server was closed with the demo.
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> http.send(
                HttpRequest.newBuilder(URI.create(finalUrl)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()))).isNotNull();
    }
}
