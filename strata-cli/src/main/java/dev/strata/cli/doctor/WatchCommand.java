package dev.strata.cli.doctor;

import dev.strata.diagnosis.Diagnosis;
import dev.strata.diagnosis.Verdict;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code strata doctor watch}: polls a running service's {@code /strata/diagnosis} and prints
 * each change of what is broken now: a verdict that becomes active ({@code +}), one that stops ({@code -}), and a return to
 * healthy. Runs until interrupted, or for {@code --count} polls.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Poll a running service's /strata/diagnosis and print verdict changes as they happen.")
final class WatchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "The service, e.g. http://127.0.0.1:8080 (/strata/diagnosis is appended unless the URL has a path).")
    private String url;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
            description = "Time between polls (default ${DEFAULT-VALUE}).")
    private String interval;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "Stop after N polls (default: run until interrupted).")
    private int count;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Duration every;
        URI endpoint;
        try {
            every = TriageCommand.Durations.parse("--interval", interval);
            if (every.isZero()) {
                throw new IllegalArgumentException("--interval: must be more than 0");
            }
            URI base = URI.create(url);
            if (base.getScheme() == null || !base.getScheme().startsWith("http") || base.getHost() == null) {
                throw new IllegalArgumentException("--url: '" + url + "' is not an http(s) URL with a host");
            }
            endpoint = base.getPath() == null || base.getPath().isEmpty() || base.getPath().equals("/")
                    ? base.resolve("/strata/diagnosis") : base;
        } catch (IllegalArgumentException e) {
            err.println("strata doctor watch: " + e.getMessage());
            err.flush();
            return 2;
        }
        out.println("watching " + endpoint + " every " + interval + " (Ctrl-C to stop)");
        out.flush();
        Map<String, Verdict> current = null;
        boolean reachable = true;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (int polls = 0; count == 0 || polls < count; polls++) {
                if (polls > 0) {
                    Thread.sleep(every);
                }
                Diagnosis d;
                try {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IOException("HTTP " + r.statusCode());
                    }
                    d = Diagnosis.parse(r.body());
                } catch (IOException | IllegalArgumentException e) {
                    if (reachable) {
                        out.println(Instant.now() + " ! cannot read the diagnosis: " + e.getMessage());
                        out.flush();
                    }
                    reachable = false;
                    continue;
                }
                reachable = true;
                Map<String, Verdict> next = new LinkedHashMap<>();
                for (Verdict v : d.active()) { // what is broken now; one that stops is reported once, as resolved
                    next.put(v.id() + "|" + v.dependency(), v);
                }
                if (current == null) {
                    out.println(d.generatedAt() + (d.healthy() ? " healthy" : " " + d.active().size() + " active verdict(s), first: "
                            + d.first().layer().label() + " " + d.first().id()));
                    next.values().forEach(v -> out.println("  + " + v.toText()));
                } else if (!next.keySet().equals(current.keySet())) {
                    for (Map.Entry<String, Verdict> e : next.entrySet()) {
                        if (!current.containsKey(e.getKey())) {
                            out.println(d.generatedAt() + " + " + e.getValue().toText());
                            out.println("    fix: " + e.getValue().fix());
                        }
                    }
                    for (Map.Entry<String, Verdict> e : current.entrySet()) {
                        if (!next.containsKey(e.getKey())) {
                            out.println(d.generatedAt() + " - resolved: " + e.getValue().layer().label() + " "
                                    + e.getValue().id() + " [" + e.getValue().dependency() + "]" + lastSeen(d, e.getKey()));
                        }
                    }
                    out.println(d.generatedAt() + (d.healthy() ? " healthy" : " first: " + d.first().layer().label() + " "
                            + d.first().id() + " [" + d.first().dependency() + "]"));
                }
                out.flush();
                current = next;
            }
        }
        return 0;
    }

    /** {@code  (last evidence at ...)} when the diagnosis still lists the verdict as recovering or recent. */
    private static String lastSeen(Diagnosis d, String key) {
        return java.util.stream.Stream.concat(d.verdicts().stream(), d.recent().stream())
                .filter(v -> (v.id() + "|" + v.dependency()).equals(key) && v.until() != null)
                .findFirst().map(v -> " (last evidence at " + v.until() + ")").orElse("");
    }
}
