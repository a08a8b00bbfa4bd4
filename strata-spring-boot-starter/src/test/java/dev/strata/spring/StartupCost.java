package dev.strata.spring;

import dev.strata.spring.shop.SpringShopApplication;
import dev.strata.testsupport.TestPostgres;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Not a test: measures the starter's startup cost for BENCHMARKS.md. Starts the sample Spring shop
 * as a child JVM, alternately with the starter and without it (the starter's classes left off the
 * class path, {@code spring.datasource} on HikariCP instead), against the same embedded PostgreSQL,
 * and times spawn to the first {@code 200} from {@code /actuator/health/readiness}.
 *
 * <pre>
 * ./mvnw -q -o -pl strata-spring-boot-starter -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp "strata-spring-boot-starter/target/test-classes:strata-spring-boot-starter/target/classes:$(cat /tmp/cp.txt)" \
 *     dev.strata.spring.StartupCost 5
 * </pre>
 */
public final class StartupCost {

    private StartupCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int pg = TestPostgres.shared().port();
        String classPath = System.getProperty("java.class.path");
        String withoutStarter = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(e -> !e.replace('\\', '/').endsWith("strata-spring-boot-starter/target/classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<Long> with = new ArrayList<>();
        List<Long> without = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            with.add(timeToReady(classPath, pg, false));
            without.add(timeToReady(withoutStarter, pg, true));
            System.out.printf("round %d: with starter %d ms, without %d ms%n", i + 1, with.getLast(), without.getLast());
        }
        System.out.printf("median of %d: with starter %d ms, without %d ms, difference %d ms%n", rounds, median(with),
                median(without), median(with) - median(without));
        System.exit(0);
    }

    private static long timeToReady(String classPath, int pg, boolean hikari) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Path output = Files.createTempFile("startup-cost", ".log");
        List<String> command = new ArrayList<>(List.of(javaBin.toString(), "-cp", classPath, SpringShopApplication.class.getName(),
                "--server.port=0", "--shop.print-port=true", "--shop.pg-port=" + pg, "--shop.payments-port=9",
                "--management.endpoint.health.probes.enabled=true"));
        if (hikari) {
            command.addAll(List.of("--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + pg + "/postgres",
                    "--spring.datasource.username=postgres", "--spring.datasource.password=postgres",
                    "--spring.datasource.hikari.maximum-pool-size=5", "--spring.datasource.hikari.minimum-idle=1"));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        long begin = System.nanoTime();
        Process child = pb.start();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            String port = null;
            long deadline = begin + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < deadline && child.isAlive()) {
                if (port == null) {
                    port = Files.readAllLines(output).stream().filter(l -> l.startsWith("PORT ")).map(l -> l.substring(5).strip())
                            .findFirst().orElse(null);
                }
                if (port != null) {
                    try {
                        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/actuator/health/readiness")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 200) {
                            return (System.nanoTime() - begin) / 1_000_000;
                        }
                    } catch (java.io.IOException notYet) {
                        // the port is printed just before the server accepts
                    }
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("not ready within 3 min:\n" + Files.readString(output));
        } finally {
            child.destroy();
            child.waitFor(30, TimeUnit.SECONDS);
            child.destroyForcibly();
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
