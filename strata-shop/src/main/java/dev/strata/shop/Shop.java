package dev.strata.shop;

import dev.strata.application.ShutdownReport;

import com.sun.net.httpserver.HttpHandler;
import dev.strata.application.Dependency;
import dev.strata.application.HealthHandlers;
import dev.strata.application.Strata;
import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.ChaosServer;
import dev.strata.config.ConfigFileWatcher;
import dev.strata.config.ConfigReloader;
import dev.strata.config.LoadedConfig;
import dev.strata.http.StrataHttpClient;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultClassifier;
import dev.strata.observe.EventBus;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code strata shop}: the order service as a long-running process. Starts PostgreSQL and the
 * three simulated downstreams, puts each behind a {@link ChaosProxy} named as its dependency on
 * a Toxiproxy-compatible {@link ChaosServer}, builds and starts the {@link Strata} runtime that
 * owns every dependency's pipeline and pool, the {@link ShopService}, installs the
 * {@link ShopPlugins plug-ins} and serves on 127.0.0.1:
 * <ul>
 *   <li>{@code GET /catalog}, {@code POST /checkout}, {@code GET /recommendations?user=N};</li>
 *   <li>{@code GET /health/live}, {@code /health/ready}, {@code /health/dependencies} (the runtime's);</li>
 *   <li>whatever the plug-ins add ({@link Routes}).</li>
 * </ul>
 *
 * <p>{@link #close()} is the runtime's graceful shutdown: readiness turns 503, requests are still
 * served for the pause (when readiness was probed), then refused with 503, in-flight requests get
 * the rest of the shutdown budget, then the pools close, then the plug-ins' resources, the HTTP
 * server, the chaos API and its proxies, the downstreams and the database, each step logged once
 * by the runtime with its time; the shop then prints {@code shop: stopped in N ms}.
 */
public final class Shop implements AutoCloseable {

    private final ShopFile file;
    private final PrintStream out;
    private ShopConfig config;
    /** Started before the runtime exists, in start order; handed to the runtime once it runs. */
    private final List<Named> started = new ArrayList<>();
    private final AtomicLong orderIds = new AtomicLong();
    private final Map<String, ChaosProxy> proxies = new LinkedHashMap<>();
    private Strata runtime;
    private ShopServer server;
    private ChaosServer chaos;
    private ShopDatabase database;

    /** A started resource and what to call it in the shutdown log. */
    private record Named(String name, AutoCloseable resource) {
    }

    private Shop(ShopFile file, PrintStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Starts everything and returns once the shop serves; on any failure, closes what it started
     * and rethrows.
     *
     * @param file the configuration; validated before anything starts
     * @param port overrides {@code shop.port} when not null
     * @param chaosPort overrides {@code shop.chaos_port} when not null
     * @param plugins plug-ins installed after {@link ShopPlugins#installed()}'s
     * @param out where the listening addresses and the shutdown steps are printed
     * @throws dev.strata.config.ConfigException listing every problem of the file; nothing started
     */
    public static Shop start(ShopFile file, Integer port, Integer chaosPort, List<ShopPlugin> plugins, PrintStream out)
            throws Exception {
        Shop shop = new Shop(Args.nonNull("file", file), Args.nonNull("out", out));
        // Validated whole before anything starts; loaded again below once the proxies' ports are known.
        ShopConfig settings = ShopConfig.from(file.load(Map.of()).root());
        if (port != null) {
            settings = settings.withPort(port);
        }
        if (chaosPort != null) {
            settings = settings.withChaosPort(chaosPort);
        }
        shop.config = settings;
        try {
            shop.startAll(Args.nonNull("plugins", plugins));
            return shop;
        } catch (Exception | Error e) {
            shop.abort();
            throw e;
        }
    }

    private void startAll(List<ShopPlugin> extraPlugins) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        // The chaos API first: a taken port (a Toxiproxy or another shop on 8474) ends the start
        // before PostgreSQL and the downstreams are started for nothing.
        EventBus chaosEvents = EventBus.detached();
        chaos = listen("the chaos API", "--chaos-port", config.chaosPort(),
                () -> ChaosServer.start(new InetSocketAddress(loopback, config.chaosPort()), chaosEvents));
        Named chaosNamed = new Named("chaos API and its proxies", chaos);
        started.add(chaosNamed);
        database = track("database", ShopDatabase.start(config.databaseIdleSessionTimeout()));
        out.println("shop: database PostgreSQL on 127.0.0.1:" + database.port() + " (postgres pid " + database.pid() + ")");
        Map<String, Integer> upstreams = new LinkedHashMap<>();
        upstreams.put(ShopFile.ORDERS_DB, database.port());
        for (String name : ShopConfig.DOWNSTREAMS) {
            Downstream service = track("downstream " + name, Downstream.start(name, config.latencies().get(name),
                    Downstream.Arrivals.NONE));
            upstreams.put(name, service.port());
            out.println("shop: downstream " + name + " (simulated) on 127.0.0.1:" + service.port());
        }

        // The chaos server publishes on a bus of its own, which does not log, until the runtime's bus
        // exists; its proxy events (toxics added and removed) then reach the runtime's bus, and the log,
        // through the subscription below. It closes where it always did: after the HTTP server, before
        // the downstreams and the database.
        started.remove(chaosNamed);
        started.add(chaosNamed);
        Map<String, Integer> through = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> upstream : upstreams.entrySet()) {
            ChaosProxy proxy = chaos.createProxy(upstream.getKey(), "127.0.0.1:0", "127.0.0.1:" + upstream.getValue(), true);
            proxies.put(upstream.getKey(), proxy);
            through.put(upstream.getKey(), proxy.port());
            out.println("proxy " + proxy.name() + " listening on 127.0.0.1:" + proxy.port() + " -> 127.0.0.1:" + upstream.getValue());
        }
        out.println("chaos API listening on " + chaos.uri() + " (Toxiproxy-compatible)");

        LoadedConfig loaded = file.load(through);
        runtime = loaded.build().start();
        // From here on the runtime owns everything: its shutdown closes the pools, then these in reverse.
        for (Named named : started) {
            runtime.own(named.name(), named.resource());
        }
        started.clear();
        runtime.own("chaos events forwarding", chaosEvents.subscribe(runtime.events()::publish));
        out.println("shop: Strata runtime started: " + String.join(", ", runtime.dependencies().keySet()));
        if (file.path() != null) {
            // Live reload: timeouts, retries, breaker thresholds and limits change in place; the rest is refused.
            ConfigReloader reloader = new ConfigReloader(runtime, loaded);
            Path watched = file.path();
            runtime.own("config watcher", ConfigFileWatcher.start(watched, text -> {
                ConfigReloader.Outcome outcome = reloader.reload(() -> new ShopFile(watched.toString(), text, watched).load(through));
                out.println("shop: config " + watched + " changed: " + outcome.summary());
                out.flush();
            }, failure -> {
                out.println("shop: config " + watched + ": reload failed: " + failure);
                out.flush();
            }));
            out.println("shop: watching " + file.path() + " for changes (live reload of timeouts, retries, breaker "
                    + "thresholds and limits; pools and URLs need a restart)");
        }

        Map<String, URI> baseUrls = new LinkedHashMap<>();
        for (String name : ShopConfig.DOWNSTREAMS) {
            baseUrls.put(name, runtime.dependency(name).httpBaseUrl().orElseThrow(() -> new IllegalArgumentException(
                    file.name() + ": dependencies." + name + ".http.base_url is missing")));
        }
        Dependency db = runtime.dependency(ShopFile.ORDERS_DB);
        ShopService service = new ShopService(
                new ShopService.Dependencies(db.dataSource(), db.pipeline(), db.pipeline(),
                        runtime.dependency(ShopCalls.PAYMENTS).pipeline(), runtime.dependency(ShopCalls.INVENTORY).pipeline(),
                        runtime.dependency(ShopCalls.RECOMMENDATIONS).pipeline(),
                        new ShopCalls("shop", httpClients(baseUrls.keySet()))),
                new ShopService.Timing(config.checkoutBudget(), config.orderWriteReserve(),
                        attemptTimeout(loaded, ShopCalls.PAYMENTS), attemptTimeout(loaded, ShopCalls.INVENTORY),
                        attemptTimeout(loaded, ShopCalls.RECOMMENDATIONS)));

        Routes routes = new Routes();
        mountHealth(routes);
        mountOrders(routes, service);
        server = runtime.own("HTTP server", listen("the shop", "--port", config.port(),
                () -> new ShopServer(new InetSocketAddress(loopback, config.port()), routes, runtime,
                        List.of(HealthHandlers.PREFIX + "/"))));
        ShopContext context = new ShopContext(routes, runtime, service, chaos, config, loaded.root(), server.uri());
        List<ShopPlugin> plugins = new ArrayList<>(ShopPlugins.installed());
        plugins.addAll(extraPlugins);
        try {
            for (ShopPlugin plugin : plugins) {
                routes.owner(plugin.name());
                context.owner(plugin.name());
                plugin.install(context);
            }
        } finally {
            // What a plug-in registered before a later one failed is closed too.
            for (Map.Entry<String, AutoCloseable> resource : context.closeables()) {
                runtime.own(resource.getKey(), resource.getValue());
            }
        }
        for (String route : routes.describe()) {
            out.println("shop: route " + route);
        }
        for (String line : context.announcements()) {
            out.println("shop: " + line);
        }
        server.start();
        out.println("shop listening on " + server.uri());
        out.println("shop: ready; Ctrl-C or SIGTERM stops it gracefully");
        out.flush();
    }

    /** Each downstream's {@code StrataHttpClient}: the runtime made one per dependency with an HTTP base URL. */
    private Map<String, StrataHttpClient> httpClients(java.util.Set<String> downstreams) {
        Map<String, StrataHttpClient> clients = new LinkedHashMap<>();
        for (String name : downstreams) {
            clients.put(name, runtime.dependency(name).httpClient());
        }
        return clients;
    }

    /** The dependency's per-attempt timeout, or the checkout budget when it has none. */
    private Duration attemptTimeout(LoadedConfig loaded, String dependency) {
        return loaded.dependencies().get(dependency).find("timeout", Duration.class).orElse(config.checkoutBudget());
    }

    /**
     * Opens a listening server; a taken port fails with a message that names the port and the
     * option that picks a free one, instead of a bare "Address already in use".
     */
    private static <T> T listen(String what, String option, int port, java.util.function.Supplier<T> open) {
        try {
            return open.get();
        } catch (java.io.UncheckedIOException e) {
            if (!(e.getCause() instanceof java.net.BindException)) {
                throw e;
            }
            throw new java.io.UncheckedIOException(what + " cannot listen on 127.0.0.1:" + port + " ("
                    + e.getCause().getMessage() + "; another strata shop" + (option.equals("--chaos-port") ? " or a Toxiproxy" : "")
                    + " may be running): use " + option + " 0 for a free port, or " + option + " N", (java.io.IOException) e.getCause());
        }
    }

    private <T extends AutoCloseable> T track(String name, T resource) {
        started.add(new Named(name, resource));
        return resource;
    }

    /** The runtime's probes, answered by its own handler; GET and HEAD. */
    private void mountHealth(Routes routes) {
        HttpHandler probes = HealthHandlers.handler(runtime);
        routes.stream("GET", HealthHandlers.PREFIX + "/*", probes::handle);
        routes.stream("HEAD", HealthHandlers.PREFIX + "/*", probes::handle);
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
            return Response.json(200, Response.jsonText(Map.of("products", products)));
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
            return Response.json(200, Response.jsonText(answer));
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
                return Response.json(200, Response.jsonText(answer));
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
            return Response.json(503, Response.jsonText(answer));
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

    /** The shop's Strata runtime. */
    public Strata runtime() {
        return runtime;
    }

    /**
     * Shuts down gracefully through the runtime, as the class describes (the runtime logs each
     * step), and prints {@code shop: stopped in N ms};
     * idempotent, bounded by the shutdown budget plus each resource's own close bound.
     */
    @Override
    public void close() {
        if (runtime == null) {
            abort();
            return;
        }
        // The runtime logs each step as it happens (one line each, with its time); printing them
        // again here would show every step twice.
        ShutdownReport report = runtime.shutdown();
        out.println("shop: stopped in " + TimeUnit.NANOSECONDS.toMillis(report.totalNanos()) + " ms"
                + (report.forced() ? " (forced: " + report.unfinished() + " requests unfinished)" : ""));
        out.flush();
    }

    /** Forces a shutdown in progress: its remaining waits are cut short. */
    public void forceShutdown() {
        if (runtime != null) {
            runtime.forceShutdown();
        }
    }

    /** Closes what was started, newest first, without the graceful steps: for a failed start. */
    private void abort() {
        if (runtime != null) {
            runtime.forceShutdown();
            runtime.shutdown();
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).resource().close();
            } catch (Exception e) {
                out.println("shop: closing " + started.get(i).name() + " failed: " + e);
            }
        }
        started.clear();
    }
}
