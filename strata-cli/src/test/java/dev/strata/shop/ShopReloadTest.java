package dev.strata.shop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata shop --config FILE} reloads its file while it runs: a lower payments timeout takes
 * effect on the next checkout and is reported; a pool size is refused, reported, and the policy in
 * force keeps running; a broken file is refused whole with its location.
 */
class ShopReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aLowerPaymentsTimeoutIsAppliedAPoolSizeRefusedABrokenFileRejected() throws Exception {
        Path file = dir.resolve("shop.yaml");
        String original = ShopFile.bundled().yaml();
        Files.writeString(file, original);
        String paymentsTimeout = "    deadline: 3500ms\n    timeout: 2s\n";
        assertThat(original).contains(paymentsTimeout);

        try (ShopProcess shop = ShopProcess.start("--config", file.toString())) {
            assertThat(shop.output()).contains("shop: watching " + file);
            assertThat(shop.post("/checkout").body()).contains("\"status\": \"confirmed\""); // payments answers in 200 ms < 2 s

            // payments' timeout lowered below its 200 ms latency: the next checkout's payment times out, the order is pending
            String lower = original.replace(paymentsTimeout, "    deadline: 3500ms\n    timeout: 100ms\n");
            write(file, lower);
            assertThat(shop.awaitLine("shop: config " + file + " changed:", WAIT))
                    .endsWith("changed: reloaded 1 change: payments.timeout 2.00s -> 100ms");
            HttpResponse<String> slow = shop.post("/checkout");
            assertThat(slow.statusCode()).isEqualTo(200);
            assertThat(slow.body()).contains("\"status\": \"pending\"").containsIgnoringCase("timeout");

            // a pool size needs a restart: refused, nothing applied, the 100 ms timeout still in force
            write(file, lower.replace("      max_size: 8\n", "      max_size: 16\n"));
            assertThat(shop.awaitLine("shop: config " + file + " changed:", WAIT)).contains(
                    "reload refused, nothing applied: " + file + ":",
                    "dependency 'orders-db': pool.max_size 8 -> 16 needs a restart");
            assertThat(shop.post("/checkout").body()).contains("\"status\": \"pending\"");

            // a broken file: refused whole, located; still the 100 ms timeout
            write(file, lower.replace("retry: {attempts: 2, backoff: {type: exponential", "retry: {attemps: 2, backoff: {type: exponential"));
            assertThat(shop.awaitLine("shop: config " + file + " changed:", WAIT)).contains(
                    "reload refused, invalid configuration (nothing applied): " + file + ":",
                    "dependencies.payments.retry.attemps: unknown key, did you mean 'attempts'?");
            assertThat(shop.post("/checkout").body()).contains("\"status\": \"pending\"");

            // back to 2 s: confirmed again, the refused pool change never applied
            write(file, original);
            assertThat(shop.awaitLine("shop: config " + file + " changed:", WAIT))
                    .endsWith("changed: reloaded 1 change: payments.timeout 100ms -> 2.00s");
            // payments' client-side throttle saw the timed-out calls and may still refuse a few locally;
            // no checkout times out any more, and one is charged again within a bounded number of tries
            String answer = "";
            for (int i = 0; i < 30 && !answer.contains("\"status\": \"confirmed\""); i++) {
                answer = shop.post("/checkout").body();
                assertThat(answer).doesNotContainIgnoringCase("timeout");
            }
            assertThat(answer).contains("\"status\": \"confirmed\"");
            // and the runtime logged one line per reload
            assertThat(shop.output()).contains("[strata] reloaded 1 change: payments.timeout 2.00s -> 100ms")
                    .contains("[strata] reload refused, nothing applied: dependency 'orders-db': pool.max_size 8 -> 16 needs a restart");

            shop.output().lines().filter(l -> l.startsWith("shop: config ")).forEach(System.out::println);
            shop.sigterm();
            assertThat(shop.awaitExit(WAIT)).isTrue();
        }
    }

    /** Writes the whole text at once (a rename), as editors do, so the watcher never reads half a file. */
    private void write(Path file, String text) throws Exception {
        Path next = dir.resolve("shop.yaml.tmp");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
