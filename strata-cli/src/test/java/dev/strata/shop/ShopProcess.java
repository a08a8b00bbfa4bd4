package dev.strata.shop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Test harness: {@code strata shop} as a child JVM (the test's own class path, so it runs the
 * classes just built), with its printed addresses parsed, an HTTP client for it, and SIGTERM.
 * Any test that needs the running shop (a plug-in's route, a chaos scenario) starts one:
 *
 * <pre>{@code
 * try (ShopProcess shop = ShopProcess.start()) {
 *     HttpResponse<String> answer = shop.get("/strata/diagnosis");
 *     shop.sigterm();
 *     assertThat(shop.awaitExit(Duration.ofSeconds(30))).isTrue();
 * }
 * }</pre>
 *
 * Ports are ephemeral ({@code --port 0 --chaos-port 0}); {@link #close()} kills the process if it
 * is still alive, so a failed test leaves nothing running.
 */
public final class ShopProcess implements AutoCloseable {

    private static final Pattern SHOP = Pattern.compile("^shop listening on (http://127\\.0\\.0\\.1:\\d+)$");
    private static final Pattern CHAOS = Pattern.compile("^chaos API listening on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern DATABASE = Pattern.compile("^shop: database PostgreSQL on 127\\.0\\.0\\.1:(\\d+) \\(postgres pid (\\d+)\\)");

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> fresh = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private URI uri;
    private URI chaosUri;
    private int databasePort;
    private long postgresPid;

    private ShopProcess(Process process) {
        this.process = process;
        this.reader = Thread.ofVirtual().name("shop-output").start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                    fresh.add(line);
                }
            } catch (IOException ended) {
                // the stream ends with the process
            }
        });
    }

    /**
     * Starts {@code strata shop --port 0 --chaos-port 0} plus {@code extraArgs} and waits, at most
     * 120 s (a JVM and PostgreSQL starting on a busy shared machine), until it serves.
     *
     * @throws IllegalStateException with everything it printed when it did not come up
     */
    public static ShopProcess start(String... extraArgs) throws IOException, InterruptedException {
        // Load tests send every checkout from 127.0.0.1: without this the file's per-client limit
        // (http.rate_limit) would answer them 429. ShopRateLimitTest starts the shop with the limit.
        return start(Map.of("STRATA_HTTP_RATE_LIMIT_LIMIT", "0"), extraArgs);
    }

    /**
     * Like {@link #start(String...)} with extra environment variables for the child, e.g.
     * {@code STRATA_...} overrides of the shop's file; an empty map keeps the file as it is.
     */
    public static ShopProcess start(Map<String, String> environment, String... extraArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "-Xss1m", "dev.strata.cli.StrataCli", "shop", "--port", "0", "--chaos-port", "0"));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        ShopProcess shop = new ShopProcess(builder.start());
        try {
            shop.awaitStarted(Duration.ofSeconds(120));
            return shop;
        } catch (RuntimeException | InterruptedException | Error e) {
            shop.close();
            throw e;
        }
    }

    /** How a shop that was not expected to keep running ended: its exit code and everything it printed. */
    public record Exit(int code, String output) {
    }

    /**
     * Runs {@code strata shop} with exactly {@code args} (no port defaults added) until it exits,
     * at most {@code timeout}, for a start that must fail; a process still alive then is killed and
     * reported as an {@link IllegalStateException} with its output.
     */
    public static Exit runToExit(Duration timeout, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "-Xss1m", "dev.strata.cli.StrataCli", "shop"));
        command.addAll(List.of(args));
        try (ShopProcess shop = new ShopProcess(new ProcessBuilder(command).redirectErrorStream(true).start())) {
            if (!shop.awaitExit(timeout)) {
                throw new IllegalStateException("strata shop " + String.join(" ", args) + " still ran after "
                        + timeout.toSeconds() + " s; printed:\n" + shop.output());
            }
            return new Exit(shop.process.exitValue(), shop.output());
        }
    }

    private void awaitStarted(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (uri == null) {
            String line = fresh.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("the shop did not start within " + timeout.toSeconds() + " s"
                        + (process.isAlive() ? "" : " (exited with " + process.exitValue() + ")") + "; printed:\n" + output());
            }
            Matcher m;
            if ((m = DATABASE.matcher(line)).find()) {
                databasePort = Integer.parseInt(m.group(1));
                postgresPid = Long.parseLong(m.group(2));
            } else if ((m = CHAOS.matcher(line)).find()) {
                chaosUri = URI.create(m.group(1));
            } else if ((m = SHOP.matcher(line)).find()) {
                uri = URI.create(m.group(1));
            }
        }
    }

    /** The order service's base URL. */
    public URI uri() {
        return uri;
    }

    /** The chaos API's base URL. */
    public URI chaosUri() {
        return chaosUri;
    }

    /** The chaos API's port, for {@code new ToxiproxyClient("127.0.0.1", port)}. */
    public int chaosPort() {
        return chaosUri.getPort();
    }

    /** The embedded PostgreSQL's port (direct, not through its proxy). */
    public int databasePort() {
        return databasePort;
    }

    /** The PostgreSQL server process's id. */
    public long postgresPid() {
        return postgresPid;
    }

    /** The PostgreSQL server and its backends (its child processes) alive now. */
    public Set<ProcessHandle> postgresProcesses() {
        return ProcessHandle.of(postgresPid).stream()
                .flatMap(server -> java.util.stream.Stream.concat(java.util.stream.Stream.of(server), server.descendants()))
                .filter(ProcessHandle::isAlive)
                .collect(Collectors.toSet());
    }

    /** The child process. */
    public Process process() {
        return process;
    }

    /** A shared HTTP/1.1 client. */
    public HttpClient http() {
        return http;
    }

    /** {@code GET path}, bounded by 30 s. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code POST path} with an empty body, bounded by 30 s. */
    public HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri.resolve(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends SIGTERM: the JVM runs its shutdown hooks, as on Ctrl-C. Through the handle, because
     * {@link Process#destroy()} also closes our end of the child's output and its last lines would be lost.
     */
    public void sigterm() {
        if (!process.toHandle().destroy()) {
            throw new IllegalStateException("could not send SIGTERM to " + process.pid());
        }
    }

    /** Waits for the process to exit and its output to be read; false at the bound. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        return reader.join(Duration.ofNanos(Math.max(1_000_000L, end - System.nanoTime())));
    }

    /**
     * Waits, at most {@code timeout}, for a line printed after the start (and not returned by an
     * earlier call) that contains {@code text}; returns it.
     *
     * @throws IllegalStateException with everything printed when none came in time
     */
    public String awaitLine(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (;;) {
            String line = fresh.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("no line containing '" + text + "' within " + timeout.toSeconds()
                        + " s; printed:\n" + output());
            }
            if (line.contains(text)) {
                return line;
            }
        }
    }

    /** Everything printed so far (stdout and stderr), one line each. */
    public String output() {
        return String.join("\n", lines);
    }

    /**
     * Kills the process if still alive and waits (bounded) for it, then stops a PostgreSQL it left
     * behind (a killed JVM runs no shutdown hook); closes the HTTP client.
     */
    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
            if (postgresPid > 0) {
                ProcessHandle.of(postgresPid).ifPresent(server -> {
                    server.destroy(); // SIGTERM: PostgreSQL's "smart" shutdown, its backends end with it
                    server.onExit().completeOnTimeout(server, 10, TimeUnit.SECONDS).join();
                    if (server.isAlive()) {
                        server.destroyForcibly();
                    }
                });
            }
        } finally {
            http.close();
        }
    }
}
