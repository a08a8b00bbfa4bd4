package dev.strata.cli.shop;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.ChaosServer;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.EventBus;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code strata shop}: the order service as a long-running process. Starts PostgreSQL and the
 * three simulated downstreams, puts each behind a {@link ChaosProxy} named as its dependency on
 * a Toxiproxy-compatible {@link ChaosServer}, builds the dependencies and the {@link ShopService},
 * installs the {@link ShopPlugins plug-ins} and serves on 127.0.0.1:
 * <ul>
 *   <li>{@code GET /catalog}, {@code POST /checkout}, {@code GET /recommendations?user=N};</li>
 *   <li>{@code GET /health/live}, {@code /health/ready}, {@code /health/dependencies};</li>
 *   <li>whatever the plug-ins add ({@link Routes}).</li>
 * </ul>
 *
 * <p>{@link #close()} shuts down gracefully: readiness turns 503, new requests are still served for
 * the drain pause (so load balancers notice), then refused with 503, in-flight requests get the
 * shutdown budget to finish, then the server, the plug-ins' resources, the pool, the proxies, the
 * downstreams and the database close, each step printed with its time.
 */
public final class Shop implements AutoCloseable {

    private final ShopConfig config;
    private final PrintStream out;
    /** Everything started, in start order; closed in reverse. */
    private final List<Named> started = new ArrayList<>();
    private final ReentrantLock closeLock = new ReentrantLock();
    private final AtomicLong orderIds = new AtomicLong();
    private final Map<String, ChaosProxy> proxies = new LinkedHashMap<>();
    private ShopServer server;
    private ShopHealth health;
    private ChaosServer chaos;
    private ShopDatabase database;
    private boolean closed;

    /** A started resource and what to call it in the shutdown log. */
    private record Named(String name, AutoCloseable resource) {
    }

    private Shop(ShopConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    /**
     * Starts everything and returns once the shop serves; on any failure, closes what it started
     * and rethrows.
     *
     * @param config the shop's settings
     * @param plugins plug-ins installed after {@link ShopPlugins#installed()}'s
     * @param out where the listening addresses and the shutdown steps are printed
     */
    public static Shop start(ShopConfig config, List<ShopPlugin> plugins, PrintStream out) throws Exception {
        Shop shop = new Shop(Args.nonNull("config", config), Args.nonNull("out", out));
        try {
            shop.startAll(Args.nonNull("plugins", plugins));
            return shop;
        } catch (Exception | Error e) {
            shop.closeStarted();
            throw e;
        }
    }

    private void startAll(List<ShopPlugin> extraPlugins) throws Exception {
        EventBus events = EventBus.create(); // chained to the root bus, which logs each event once
        InetAddress loopback = InetAddress.getLoopbackAddress();

        database = track("database", ShopDatabase.start(config.databaseIdleSessionTimeout()));
        out.println("shop: database PostgreSQL on 127.0.0.1:" + database.port() + " (postgres pid " + database.pid() + ")");
        Map<String, Integer> upstreams = new LinkedHashMap<>();
        upstreams.put(ShopDependencies.ORDERS_DB, database.port());
        for (String name : List.of(ShopCalls.PAYMENTS, ShopCalls.INVENTORY, ShopCalls.RECOMMENDATIONS)) {
            Downstream service = track("downstream " + name, Downstream.start(name, config.latencies().get(name),
                    Downstream.Arrivals.NONE));
            upstreams.put(name, service.port());
            out.println("shop: downstream " + name + " (simulated) on 127.0.0.1:" + service.port());
        }

        chaos = track("chaos API and its proxies",
                ChaosServer.start(new InetSocketAddress(loopback, config.chaosPort()), events));
        Map<String, Integer> through = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> upstream : upstreams.entrySet()) {
            ChaosProxy proxy = chaos.createProxy(upstream.getKey(), "127.0.0.1:0", "127.0.0.1:" + upstream.getValue(), true);
            proxies.put(upstream.getKey(), proxy);
            through.put(upstream.getKey(), proxy.port());
            out.println("proxy " + proxy.name() + " listening on 127.0.0.1:" + proxy.port() + " -> 127.0.0.1:" + upstream.getValue());
        }
        out.println("chaos API listening on " + chaos.uri() + " (Toxiproxy-compatible)");

        ShopDependencies dependencies = track("pool and pipelines", new ShopDependencies(
                "jdbc:postgresql://127.0.0.1:" + through.get(ShopDependencies.ORDERS_DB) + "/postgres",
                database.user(), database.password(), events));
        ShopService service = new ShopService(
                new ShopService.Dependencies(dependencies.database(), dependencies.pipeline(ShopDependencies.ORDERS_DB),
                        dependencies.pipeline(ShopDependencies.ORDERS_DB), dependencies.pipeline(ShopCalls.PAYMENTS),
                        dependencies.pipeline(ShopCalls.INVENTORY), dependencies.pipeline(ShopCalls.RECOMMENDATIONS),
                        new ShopCalls("shop", dependencies.http(), through)),
                new ShopService.Timing(config.checkoutBudget(), config.orderWriteReserve(), Duration.ofSeconds(2),
                        Duration.ofSeconds(1), Duration.ofSeconds(1)));

        Routes routes = new Routes();
        health = track("health", new ShopHealth(dependencies, events));
        health.mount(routes);
        mountOrders(routes, service);
        ShopContext context = new ShopContext(routes, events, dependencies, service, chaos, config);
        List<ShopPlugin> plugins = new ArrayList<>(ShopPlugins.installed());
        plugins.addAll(extraPlugins);
        try {
            for (ShopPlugin plugin : plugins) {
                routes.owner(plugin.name());
                plugin.install(context);
            }
        } finally {
            // What a plug-in registered before a later one failed is closed too.
            for (AutoCloseable resource : context.closeables()) {
                track("plug-in resource", resource);
            }
        }
        for (String route : routes.describe()) {
            out.println("shop: route " + route);
        }

        server = new ShopServer(new InetSocketAddress(loopback, config.port()), routes, List.of("/health/"));
        track("HTTP server", server);
        server.start();
        health.started();
        out.println("shop listening on " + server.uri());
        out.println("shop: ready; Ctrl-C or SIGTERM stops it gracefully");
        out.flush();
    }

    private <T extends AutoCloseable> T track(String name, T resource) {
        started.add(new Named(name, resource));
        return resource;
    }

    /** The order endpoints. Dependency failures that no fallback covers answer 503 with the fault. */
    private void mountOrders(Routes routes, ShopService service) {
        routes.get("/catalog", request -> dependencyCall(() -> {
            List<Map<String, Object>> products = new ArrayList<>();
            for (ShopCalls.Product p : service.catalog()) {
                Map<String, Object> product = new LinkedHashMap<>();
                product.put("id", p.id());
                product.put("name", p.name());
                product.put("price_cents", p.priceCents());
                products.add(product);
            }
            return Response.json(200, JsonText.write(Map.of("products", products)));
        }));
        routes.post("/checkout", request -> dependencyCall(() -> {
            ShopService.Checkout checkout = service.checkout(orderIds.incrementAndGet());
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("order", checkout.orderId());
            answer.put("product", checkout.productId());
            answer.put("status", checkout.status());
            answer.put("stock", checkout.stockConfirmed() ? "confirmed" : "assumed");
            answer.put("fallback_reason", checkout.reason() == null ? null : checkout.reason().toString());
            answer.put("root_fault", checkout.root() == null ? null : checkout.root().toString());
            return Response.json(200, JsonText.write(answer));
        }));
        routes.get("/recommendations", request -> {
            long user = parseUser(request.queryParam("user").orElse("1"));
            return dependencyCall(() -> {
                ShopService.Recommendations recommendations = service.recommendations(user);
                Map<String, Object> answer = new LinkedHashMap<>();
                answer.put("user", user);
                answer.put("items", recommendations.items());
                answer.put("fallback_reason", recommendations.reason() == null ? null : recommendations.reason().toString());
                answer.put("root_fault", recommendations.root() == null ? null : recommendations.root().toString());
                return Response.json(200, JsonText.write(answer));
            });
        });
    }

    private static long parseUser(String raw) {
        try {
            long user = Long.parseLong(raw);
            if (user >= 1) {
                return user;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new IllegalArgumentException("user: '" + raw + "' is not allowed; must be a whole number >= 1");
    }

    private static Response dependencyCall(Callable<Response> call) throws Exception {
        try {
            return call.call();
        } catch (RuntimeException e) {
            Fault fault = FaultClassifier.DEFAULT.classify(e);
            Fault root = ShopService.rootFault(FaultClassifier.DEFAULT, e);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("error", String.valueOf(e.getMessage()));
            answer.put("exception", e.getClass().getName());
            List<String> underneath = new ArrayList<>();
            for (Throwable t : e.getSuppressed()) {
                underneath.add("suppressed: " + t);
            }
            for (Throwable t = e.getCause(); t != null && underneath.size() < 8; t = t.getCause()) {
                underneath.add("cause: " + t);
            }
            answer.put("underneath", underneath);
            answer.put("status", 503);
            answer.put("fault", fault.toString());
            answer.put("root_fault", root.toString());
            return Response.json(503, JsonText.write(answer));
        }
    }

    /** The order service's base URL, {@code http://127.0.0.1:PORT}. */
    public URI uri() {
        return server.uri();
    }

    /** The chaos API's base URL. */
    public URI chaosUri() {
        return chaos.uri();
    }

    /** The proxy in front of a dependency. */
    public ChaosProxy proxy(String dependency) {
        ChaosProxy proxy = proxies.get(dependency);
        if (proxy == null) {
            throw new IllegalArgumentException("dependency: '" + dependency + "' is unknown; allowed " + proxies.keySet());
        }
        return proxy;
    }

    /** The embedded PostgreSQL server's process id. */
    public long databasePid() {
        return database.pid();
    }

    /**
     * Shuts down gracefully, as the class describes; idempotent, and every step is bounded by the
     * drain pause, the shutdown budget and each resource's own close bound.
     */
    @Override
    public void close() {
        closeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            long start = System.nanoTime();
            health.shuttingDown();
            step(start, "readiness is 503; still serving for the drain pause of " + config.drainPause().toMillis() + " ms");
            sleep(config.drainPause());
            server.startDraining();
            step(start, "refusing new requests with 503; " + server.inFlight() + " in flight, waiting at most "
                    + config.shutdownBudget().toMillis() + " ms");
            boolean idle = server.awaitIdle(config.shutdownBudget());
            step(start, idle ? "every in-flight request finished"
                    : "shutdown budget spent with " + server.inFlight() + " requests still in flight; closing anyway");
            for (int i = started.size() - 1; i >= 0; i--) {
                Named named = started.get(i);
                closeQuietly(named);
                step(start, "closed " + named.name());
            }
            started.clear();
            out.println("shop: stopped");
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeStarted();
        } finally {
            closeLock.unlock();
        }
    }

    private void step(long start, String what) {
        out.printf("shop: shutdown +%d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), what);
        out.flush();
    }

    private static void sleep(Duration pause) throws InterruptedException {
        if (!pause.isZero()) {
            TimeUnit.NANOSECONDS.sleep(pause.toNanos());
        }
    }

    /** Closes what was started, newest first, without the graceful steps: for a failed start. */
    private void closeStarted() {
        for (int i = started.size() - 1; i >= 0; i--) {
            closeQuietly(started.get(i));
        }
        started.clear();
    }

    private void closeQuietly(Named named) {
        try {
            named.resource().close();
        } catch (Exception e) {
            out.println("shop: closing " + named.name() + " failed: " + e);
        }
    }
}
