package dev.strata.it.modulepath;

import dev.strata.application.Strata;
import dev.strata.config.ConfigException;
import dev.strata.config.LoadedConfig;
import dev.strata.config.StrataConfig;
import dev.strata.ratelimit.RateLimitedException;
import dev.strata.redis.RedisFallback;
import dev.strata.redis.RedisRateLimiter;
import dev.strata.redis.RedisSharedLimit;
import dev.strata.resilience.Pipeline;
import dev.strata.shop.Shop;
import dev.strata.shop.ShopFile;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.module.ModuleDescriptor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs each check and prints {@code ok <check>: <what was seen>}; any failure throws, so the JVM
 * exits non-zero with the stack trace on stderr. Arguments: the embedded Redis's port (started by
 * the test, on the class path) and a scratch directory.
 */
public final class ModulePathMain {

    private ModulePathMain() {
    }

    public static void main(String[] args) throws Exception {
        int redisPort = Integer.parseInt(args[0]);
        Path scratch = Path.of(args[1]);
        long start = System.nanoTime();
        modules();
        config(scratch, redisPort);
        redis(redisPort);
        shop();
        System.out.printf("module path: all checks passed in %d ms%n", (System.nanoTime() - start) / 1_000_000);
    }

    /** Every module is where the descriptors say, and core's internals reach only the modules named for them. */
    private static void modules() {
        Module self = ModulePathMain.class.getModule();
        check(self.isNamed(), "this check runs in a named module, not on the class path");
        for (String name : List.of("dev.strata.core", "dev.strata.config", "dev.strata.redis", "dev.strata.shop",
                "dev.strata.chaos", "dev.strata.micrometer", "dev.strata.dashboard")) {
            ModuleDescriptor descriptor = module(name).getDescriptor();
            check(!descriptor.isAutomatic(), name + " has a module-info");
        }
        // Not required by anyone: resolved by service binding, because config `uses` ConfigExtension.
        check(ModuleLayer.boot().findModule("dev.strata.doctor").isPresent(), "dev.strata.doctor bound as a ConfigExtension provider");
        Module core = module("dev.strata.core");
        check(!core.isExported("dev.strata.internal", self), "dev.strata.internal is not exported to an application");
        check(core.isExported("dev.strata.internal", module("dev.strata.config")), "dev.strata.internal is exported to config");
        check(core.isExported("dev.strata.resilience.internal", module("dev.strata.redis")),
                "dev.strata.resilience.internal is exported to redis");
        check(!core.isExported("dev.strata.call.internal"), "dev.strata.call.internal is not exported");
        // SignalRelay reaches sun.misc.Signal reflectively: it needs jdk.unsupported in the boot layer.
        check(ModuleLayer.boot().findModule("jdk.unsupported").isPresent(), "jdk.unsupported is resolved (core requires it)");
        System.out.println("ok modules: core, config, redis, shop, chaos, micrometer, dashboard named; doctor bound");
    }

    /**
     * A YAML file and a properties file through strata-config, with keys added by three other
     * modules' extensions (config's own {@code http}, redis's {@code rate_limit.shared}, doctor's
     * {@code expect}), then the runtime built from them and a call through the Redis-shared limit.
     */
    private static void config(Path scratch, int redisPort) throws Exception {
        Path yaml = Files.writeString(scratch.resolve("service.yaml"), """
                redis:
                  uri: redis://127.0.0.1:%d
                  timeout: 500ms
                http:
                  trust_proxy: {hops: 0}
                dependencies:
                  geocoder:
                    timeout: 1s
                    rate_limit: {limit: 2, window: 1m, shared: redis, fallback: fail-closed}
                    expect: {rate: 5/s, idempotent: true}
                """.formatted(redisPort), StandardCharsets.UTF_8);
        Path properties = Files.writeString(scratch.resolve("service.properties"), """
                # later sources override earlier ones
                dependencies.geocoder.timeout=2s
                dependencies.geocoder.retry.attempts=2
                """, StandardCharsets.UTF_8);
        LoadedConfig loaded = StrataConfig.loader().file(yaml).file(properties).environment(Map.of()).load();
        var geocoder = loaded.dependencies().get("geocoder");
        check(geocoder.find("timeout", Duration.class).orElseThrow().equals(Duration.ofSeconds(2)), "properties override YAML");
        check(geocoder.find("retry.attempts", Integer.class).orElseThrow() == 2, "a key only in the properties file");
        check(geocoder.find("expect.rate", Double.class).orElseThrow() == 5.0, "doctor's expect.rate key is known");

        // An unknown key is still reported with its file and line: the error path works here too.
        Path bad = Files.writeString(scratch.resolve("bad.yaml"), "dependencies:\n  geocoder:\n    timeuot: 1s\n");
        try {
            StrataConfig.loader().file(bad).load();
            throw new AssertionError("an unknown key was accepted");
        } catch (ConfigException expected) {
            check(expected.getMessage().contains("bad.yaml:3"), "the problem names file and line: " + expected.getMessage());
        }

        try (Strata strata = loaded.builder().shutdown(Duration.ZERO, Duration.ofSeconds(5)).build().start()) {
            check(!strata.attachments(RedisSharedLimit.class).isEmpty(), "the Redis-shared limiter is attached");
            Pipeline pipeline = strata.dependency("geocoder").pipeline();
            pipeline.execute(() -> "first");
            pipeline.execute(() -> "second");
            try {
                pipeline.execute(() -> "third");
                throw new AssertionError("a third call passed a limit of 2 per minute");
            } catch (RateLimitedException expected) {
                // the shared budget, decided by Redis
            }
            check(strata.attachments(RedisSharedLimit.class).getFirst().delegate().fallbackDecisions() == 0,
                    "decided by Redis, not by a fallback");
        }
        System.out.println("ok config: YAML + properties loaded, 3 extensions' keys, runtime limited through Redis");
    }

    /** A limiter built in code on a Lettuce connection of this module's own. */
    private static void redis(int redisPort) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + redisPort);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisRateLimiter limiter = RedisRateLimiter.builder("module-path", connection)
                    .limit(2, Duration.ofMinutes(1)).timeout(Duration.ofMillis(500)).fallback(RedisFallback.FAIL_CLOSED).build();
            check(limiter.tryAcquire("user-1", 1), "first permit");
            check(limiter.tryAcquire("user-1", 1), "second permit");
            check(!limiter.tryAcquire("user-1", 1), "third permit refused");
            check(limiter.fallbackDecisions() == 0, "every decision made by Redis");
            // The breaker around Redis calls is core's, driven through the qualified export of
            // dev.strata.resilience.internal: it stayed closed.
            check(limiter.breaker().state().name().equals("CLOSED"), "the limiter's breaker is closed");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        System.out.println("ok redis: RedisRateLimiter 2/min on Lettuce: allowed, allowed, refused");
    }

    /** The shop from examples/shop.yaml: PostgreSQL, downstreams, chaos proxies, the L4 runtime, its routes. */
    private static void shop() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (Shop shop = Shop.start(ShopFile.bundled(), 0, 0, List.of(), out)) {
            check(shop.runtime().dependencies().keySet().containsAll(
                    List.of("orders-db", "payments", "inventory", "recommendations")), "the runtime owns the four dependencies");
            expect(http, "GET", shop.uri(), "/health/ready", 200, "");
            expect(http, "GET", shop.uri(), "/catalog", 200, "\"products\"");
            expect(http, "POST", shop.uri(), "/checkout", 200, "\"status\"");
            expect(http, "GET", shop.uri(), "/strata/diagnosis", 200, "");
            expect(http, "GET", shop.uri(), "/metrics", 200, "strata_");
            expect(http, "GET", shop.chaosUri(), "/proxies", 200, "orders-db");
        } catch (Exception | Error e) {
            System.out.println(log.toString(StandardCharsets.UTF_8));
            throw e;
        }
        check(log.toString(StandardCharsets.UTF_8).contains("shop: stopped"), "the shop shut down gracefully");
        System.out.println("ok shop: embedded PostgreSQL, L4 runtime from examples/shop.yaml, health, catalog, checkout,"
                + " diagnosis, metrics, chaos API");
    }

    private static void expect(HttpClient http, String method, URI base, String path, int status, String contains)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        check(response.statusCode() == status && response.body().contains(contains),
                method + " " + path + " answered " + response.statusCode() + " " + response.body());
    }

    private static Module module(String name) {
        return ModuleLayer.boot().findModule(name).orElseThrow(() -> new AssertionError(name + " is not in the boot layer"));
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
