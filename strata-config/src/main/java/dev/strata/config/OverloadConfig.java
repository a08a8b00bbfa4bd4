package dev.strata.config;

import dev.strata.call.Criticality;
import dev.strata.http.LoadShedding;
import dev.strata.resilience.AdaptiveLimit;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Overload control that needs no tuning, in YAML: per dependency (or in {@code defaults}) an
 * {@code adaptive_limit} (a bulkhead that sizes itself and sheds by criticality) and a
 * {@code throttle} (client-side adaptive throttling); at the server edge {@code
 * http.load_shedding} (criticality-aware 503 + Retry-After). Each is off unless switched on.
 *
 * <pre>{@code
 * defaults:
 *   adaptive_limit: {enabled: true, max: 200}
 *   throttle: {enabled: true}
 * http:
 *   load_shedding:
 *     enabled: true
 *     retry_after: 1s
 *     routes: {critical: [/checkout], sheddable: [/recommendations]}
 * }</pre>
 */
public final class OverloadConfig implements ConfigExtension {

    /** One route as the server registers it: an exact path, or a {@code /*} prefix. */
    private static final ValueType<String> ROUTE = ValueType.of("route path", text -> {
        String path = text.strip();
        if (!path.startsWith("/") || path.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + text + "' is not a route path; must start with / and hold no spaces,"
                    + " e.g. /checkout or /api/*");
        }
        return path;
    });

    @Override
    public void extend(ConfigSchema schema) {
        schema.dependency().section("adaptive_limit", "Adaptive concurrency limit instead of a bulkhead (on when enabled)", a -> a
                .key(ConfigKey.of("enabled", ValueType.BOOLEAN, false, "Switch the adaptive limit on (not together with bulkhead)"))
                .key(ConfigKey.of("algorithm", ValueType.oneOf(AdaptiveLimit.Algorithm.class), AdaptiveLimit.Algorithm.GRADIENT,
                        "gradient: latency against its baseline plus drops; aimd: drops only"))
                .key(ConfigKey.of("min", ValueType.INTEGER, 1, 1, 10_000, "Lowest limit"))
                .key(ConfigKey.of("max", ValueType.INTEGER, 1000, 1, 10_000, "Highest limit"))
                .key(ConfigKey.of("initial", ValueType.INTEGER, 20, 1, 10_000, "Limit before anything is measured"))
                .key(ConfigKey.of("window", ValueType.DURATION, Duration.ofMillis(100), Duration.ofMillis(1), Duration.ofSeconds(10),
                        "Shortest measuring window"))
                .key(ConfigKey.of("min_samples", ValueType.INTEGER, 10, 1, 10_000, "Calls a window needs before it is judged"))
                .key(ConfigKey.of("tolerance", ValueType.DECIMAL, 1.5, 1.0, 10.0,
                        "Latency over baseline x this cuts the limit"))
                .key(ConfigKey.of("backoff_ratio", ValueType.DECIMAL, 0.9, 0.5, 0.99, "Factor applied after a window with drops")));
        schema.dependency().section("throttle", "Client-side adaptive throttling (on when enabled)", t -> t
                .key(ConfigKey.of("enabled", ValueType.BOOLEAN, false, "Switch client-side throttling on"))
                .key(ConfigKey.of("k", ValueType.DECIMAL, 2.0, 1.0, 10.0,
                        "Requests allowed per accepted request before calls are refused locally"))
                .key(ConfigKey.of("window", ValueType.DURATION, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(5),
                        "Window over which requests and accepts are counted (whole seconds)")));
        schema.root().section("http", "The HTTP edge on the server side (dev.strata.http)", http -> http
                .section("load_shedding", "Criticality-aware shedding of incoming requests, 503 + Retry-After (on when enabled)", l -> l
                        .key(ConfigKey.of("enabled", ValueType.BOOLEAN, false, "Switch load shedding on for the routes listed under routes"))
                        .key(ConfigKey.of("min", ValueType.INTEGER, 1, 1, 10_000, "Lowest limit of requests in flight"))
                        .key(ConfigKey.of("max", ValueType.INTEGER, 1000, 1, 10_000, "Highest limit of requests in flight"))
                        .key(ConfigKey.of("initial", ValueType.INTEGER, 50, 1, 10_000, "Limit before anything is measured"))
                        .key(ConfigKey.of("tolerance", ValueType.DECIMAL, 2.0, 1.0, 10.0,
                                "Handler latency over baseline x this cuts the limit"))
                        .key(ConfigKey.of("retry_after", ValueType.DURATION, Duration.ofSeconds(1), Duration.ofSeconds(1),
                                Duration.ofHours(1), "Retry-After sent with a 503 (whole seconds, rounded up)"))
                        .section("routes", "The routes shed, by the criticality of a request without a Strata-Criticality header", r -> r
                                .key(ConfigKey.of("critical", ValueType.listOf(ROUTE), List.of(),
                                        "Routes shed last, e.g. [/checkout]"))
                                .key(ConfigKey.of("default", ValueType.listOf(ROUTE), List.of(),
                                        "Routes shed after the sheddable ones"))
                                .key(ConfigKey.of("sheddable", ValueType.listOf(ROUTE), List.of(),
                                        "Routes shed first, e.g. [/recommendations]")))));
        schema.onRuntime((root, builder) -> sheddingRoutes(root)); // a route listed twice fails the load, located
        schema.onDependency((v, settings) -> {
            boolean adaptive = v.get("adaptive_limit.enabled", Boolean.class);
            if (adaptive && v.anySet("bulkhead") && v.get("bulkhead.enabled", Boolean.class)) {
                throw new IllegalArgumentException("adaptive_limit.enabled: true is not allowed together with a bulkhead; "
                        + "set bulkhead.enabled: false for " + settings.name());
            }
            if (adaptive) {
                AdaptiveLimit.Algorithm algorithm = v.get("adaptive_limit.algorithm", AdaptiveLimit.Algorithm.class);
                int min = v.get("adaptive_limit.min", Integer.class);
                int max = v.get("adaptive_limit.max", Integer.class);
                int initial = Math.clamp(v.get("adaptive_limit.initial", Integer.class), min, Math.max(min, max));
                Duration window = v.get("adaptive_limit.window", Duration.class);
                int minSamples = v.get("adaptive_limit.min_samples", Integer.class);
                double tolerance = v.get("adaptive_limit.tolerance", Double.class);
                double backoff = v.get("adaptive_limit.backoff_ratio", Double.class);
                // built once here so a bad combination (min > max) fails the load, located by the loader
                AdaptiveLimit.builder(settings.name()).minLimit(min).maxLimit(max).initialLimit(initial).build();
                settings.adaptiveLimit(b -> b.algorithm(algorithm).minLimit(min).maxLimit(max).initialLimit(initial)
                        .window(window).minSamples(minSamples).tolerance(tolerance).backoffRatio(backoff));
            }
            if (v.get("throttle.enabled", Boolean.class)) {
                double k = v.get("throttle.k", Double.class);
                Duration window = v.get("throttle.window", Duration.class);
                if (window.toNanos() % 1_000_000_000L != 0) {
                    throw new IllegalArgumentException("throttle.window: " + window + " is not allowed; must be whole seconds");
                }
                settings.throttle(t -> t.k(k).window(window));
            }
        });
    }

    /**
     * The routes {@code http.load_shedding.routes} lists, each with the criticality of its requests
     * that carry no valid {@value Criticality#HEADER} header, in the file's order (critical first);
     * empty when none is listed. The server puts a {@link LoadShedding} filter on exactly these.
     *
     * @throws IllegalArgumentException when a route is listed under two criticalities, naming both keys
     */
    public static Map<String, Criticality> sheddingRoutes(ConfigValues root) {
        Map<String, Criticality> routes = new LinkedHashMap<>();
        for (Criticality c : Criticality.values()) {
            String key = "http.load_shedding.routes." + c.code();
            @SuppressWarnings("unchecked")
            List<String> paths = root.get(key, List.class);
            for (String path : paths) {
                Criticality before = routes.putIfAbsent(path, c);
                if (before != null) {
                    throw new IllegalArgumentException(key + ": '" + path + "' is not allowed; it is already listed under"
                            + " http.load_shedding.routes." + before.code() + " (a route has one criticality)");
                }
            }
        }
        return Collections.unmodifiableMap(routes);
    }

    /**
     * The server edge's load shedding the file describes ({@code http.load_shedding}), with an
     * adaptive limit named {@code name} on the system clock; empty when off.
     */
    public static Optional<LoadShedding> loadShedding(ConfigValues root, String name) {
        if (!root.get("http.load_shedding.enabled", Boolean.class)) {
            return Optional.empty();
        }
        int min = root.get("http.load_shedding.min", Integer.class);
        int max = root.get("http.load_shedding.max", Integer.class);
        AdaptiveLimit limit = AdaptiveLimit.builder(name).minLimit(min).maxLimit(max)
                .initialLimit(Math.clamp(root.get("http.load_shedding.initial", Integer.class), min, Math.max(min, max)))
                .tolerance(root.get("http.load_shedding.tolerance", Double.class)).build();
        return Optional.of(LoadShedding.of(limit, root.get("http.load_shedding.retry_after", Duration.class)));
    }
}
