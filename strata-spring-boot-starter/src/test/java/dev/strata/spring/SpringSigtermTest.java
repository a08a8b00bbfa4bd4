package dev.strata.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.spring.shop.SpringShopApplication;
import dev.strata.testsupport.TestPostgres;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * The sample Spring shop as a child JVM with {@code server.shutdown=graceful}, under load, gets one
 * SIGTERM: every request the server accepted completes with 200, the process exits within the
 * shutdown phases, Spring's graceful shutdown completes before the Strata runtime stops, and no
 * PostgreSQL backend of the app remains.
 */
class SpringSigtermTest {

    @Test
    void sigtermUnderLoadLosesNoRequestAndLeavesNoBackend() throws Exception {
        String app = "spring-sigterm";
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path output = Files.createTempFile("spring-sigterm", ".log");
        ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                SpringShopApplication.class.getName(), "--server.port=0", "--server.shutdown=graceful",
                "--shop.print-port=true", "--shop.pg-port=" + TestPostgres.shared().port(), "--shop.payments-port=9",
                "--shop.app-name=" + app, "--spring.lifecycle.timeout-per-shutdown-phase=20s");
        pb.redirectErrorStream(true);
        pb.redirectOutput(output.toFile());
        Process child = pb.start();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            String port = null;
            for (int i = 0; i < 900 && port == null && child.isAlive(); i++) { // bounded: 90 s for the child to start
                port = Files.readAllLines(output).stream().filter(l -> l.startsWith("PORT ")).map(l -> l.substring(5).strip())
                        .findFirst().orElse(null);
                if (port == null) {
                    Thread.sleep(100);
                }
            }
            assertThat(port).as("child output:\n%s", Files.readString(output)).isNotNull();
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger keepAliveRaces = new AtomicInteger();
            ConcurrentHashMap<String, Integer> lost = new ConcurrentHashMap<>();
            List<Thread> load = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                load.add(Thread.ofVirtual().start(() -> {
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = sendRetryingAClosedKeepAlive(client, base, keepAliveRaces);
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                            } else {
                                lost.merge("status " + r.statusCode() + " " + r.body(), 1, Integer::sum);
                            }
                        } catch (ConnectException notAccepted) {
                            refused.incrementAndGet(); // the server had closed its port: never accepted, nothing lost
                            sleepQuietly();
                        } catch (IOException e) {
                            lost.merge(e.toString(), 1, Integer::sum);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
            while (ok.get() < 12) {
                Thread.sleep(50); // bounded by the load threads' own timeouts: 12 requests of 300 ms
            }
            long signalled = System.nanoTime();
            child.destroy(); // SIGTERM
            assertThat(child.waitFor(40, TimeUnit.SECONDS)).as("child exits").isTrue();
            long exitMillis = (System.nanoTime() - signalled) / 1_000_000;
            stop.set(true);
            for (Thread t : load) {
                t.join(Duration.ofSeconds(20));
            }
            String text = Files.readString(output);
            assertThat(lost).as("requests lost; ok=%s refused=%s keep-alive races=%s; output:\n%s", ok, refused, keepAliveRaces, text).isEmpty();
            assertThat(ok.get()).isGreaterThanOrEqualTo(12);
            assertThat(exitMillis).as("exit within the shutdown phase timeout").isLessThan(20_000);

            assertThat(text).as("exit %s, ok %s, refused %s", child.exitValue(), ok, refused)
                    .contains("Graceful shutdown complete").contains("Strata runtime stopped");
            assertThat(text.indexOf("Graceful shutdown complete")).as(text).isLessThan(text.indexOf("Strata runtime stopped"));
            int backends = TestPostgres.shared().backends(app);
            for (int i = 0; i < 50 && backends > 0; i++) {
                Thread.sleep(100); // a closed connection's backend exits asynchronously
                backends = TestPostgres.shared().backends(app);
            }
            assertThat(backends).as("PostgreSQL backends left by the app").isZero();
        } finally {
            child.destroyForcibly();
        }
    }

    /**
     * Sends the idempotent GET, sending it once more when the server closed the idle keep-alive
     * connection the client had just written it on (the server never read it). That race is
     * inherent to HTTP/1.1 keep-alive (RFC 9112, 9.3.1: a client may retry an idempotent request
     * then) and happens at the moment Tomcat closes idle connections on shutdown; a request the
     * server did read must still be answered.
     */
    private static HttpResponse<String> sendRetryingAClosedKeepAlive(HttpClient client, String base, AtomicInteger races)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/slow?millis=300")).timeout(Duration.ofSeconds(15)).build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            if (e instanceof ConnectException || e.getMessage() == null || !e.getMessage().contains("received no bytes")) {
                throw e;
            }
            races.incrementAndGet();
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
