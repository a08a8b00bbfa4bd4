package dev.strata.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testsupport.TestPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a child JVM under load: every request admitted before the runtime refused new work
 * completes with 200, later ones get 503, the process exits within the shutdown budget, each step
 * is logged, and no PostgreSQL backend remains.
 */
class SigtermTest {

    @Test
    void sigtermUnderLoadDrainsWithoutFailingInFlightRequests() throws Exception {
        String app = "l4-sigterm";
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                SigtermChild.class.getName(), TestPostgres.shared().url(), app);
        Path errors = Files.createTempFile("sigterm-child", ".log");
        pb.redirectError(errors.toFile());
        Process child = pb.start();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("child output; stderr: %s", Files.readString(errors)).startsWith("PORT ");
            String base = "http://127.0.0.1:" + first.substring(5);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger unreachable = new AtomicInteger();
            ConcurrentHashMap<String, Integer> failed = new ConcurrentHashMap<>();
            List<Thread> load = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                load.add(Thread.ofVirtual().start(() -> {
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/query"))
                                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                            switch (r.statusCode()) {
                                case 200 -> ok.incrementAndGet();
                                case 503 -> refused.incrementAndGet();
                                default -> failed.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
                            }
                        } catch (IOException closed) {
                            unreachable.incrementAndGet(); // the server stopped after the drain: nothing was in flight
                            sleepQuietly();
                        } catch (InterruptedException interrupted) {
                            return;
                        }
                    }
                }));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ok.get() < 30 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            int beforeSignal = ok.get();
            assertThat(beforeSignal).isGreaterThanOrEqualTo(30);

            long signalled = System.nanoTime();
            child.destroy(); // SIGTERM
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).as("exits within the budget (10 s) plus JVM exit").isTrue();
            long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            stop.set(true);
            for (Thread t : load) {
                t.join(Duration.ofSeconds(15));
            }

            assertThat(failed).as("in-flight requests that failed").isEmpty();
            assertThat(ok.get()).isGreaterThan(beforeSignal); // work went on during the pause
            assertThat(exitMillis).isLessThan(10_000);
            String log = Files.readString(errors);
            assertThat(log).as("exit %d after %d ms", child.exitValue(), exitMillis).contains("shutdown: readiness DOWN", "shutdown: pause", "shutdown: refuse new work; wait for in-flight",
                    "shutdown: close data-source catalog", "shutdown: close owned:http-server", "shutdown complete in")
                    .containsPattern("refuse new work; wait for in-flight \\(.+\\): \\d+ in flight finished")
                    .doesNotContain("forcing the rest"); // every admitted request finished before the server stopped
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (TestPostgres.shared().backends(app) > 0 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(TestPostgres.shared().backends(app)).as("PostgreSQL backends left").isZero();
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(errors);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aSecondSigtermForcesAShutdownThatIsWaitingForStuckWork() throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                SigtermChild.class.getName(), TestPostgres.shared().url(), "l4-second-signal", "PT60S");
        Path errors = Files.createTempFile("sigterm-child", ".log");
        pb.redirectError(errors.toFile());
        Process child = pb.start();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            String first = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertThat(first).as("child output; stderr: %s", Files.readString(errors)).startsWith("PORT ");
            String base = "http://127.0.0.1:" + first.substring(5);
            var stuck = client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/stuck")).build(),
                    HttpResponse.BodyHandlers.discarding());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!client.send(HttpRequest.newBuilder(URI.create(base + "/health/dependencies")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().contains("RUNNING") && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // the stuck request is admitted by now (it is served at once)

            child.destroy(); // first SIGTERM: the shutdown waits for /stuck, up to 60 s
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(errors).contains("shutdown: pause") && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(child.isAlive()).isTrue();
            long signalled = System.nanoTime();
            new ProcessBuilder("kill", "-TERM", Long.toString(child.pid())).start().waitFor(5, TimeUnit.SECONDS);

            assertThat(child.waitFor(15, TimeUnit.SECONDS)).as("the second signal ends the wait").isTrue();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled)).isLessThan(15);
            String log = Files.readString(errors);
            assertThat(log).contains("shutdown: second SIGTERM: forcing the rest",
                    "1 of 1 still in flight at forced shutdown; forcing the rest", "shutdown: close data-source catalog",
                    "shutdown complete in");
            assertThat(stuck).isNotNull();
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(errors);
        }
    }
}
