package dev.strata.chaos;

import com.sun.net.httpserver.HttpServer;
import dev.strata.chaos.ToxiproxyJson.ProxySpec;
import dev.strata.internal.Json;
import dev.strata.internal.Require;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Many {@link ChaosProxy proxies} in one process behind an HTTP control API compatible with
 * Toxiproxy's, so Toxiproxy clients in any language can drive it: {@code /proxies},
 * {@code /proxies/{name}}, {@code /proxies/{name}/toxics}, {@code /proxies/{name}/toxics/{toxic}},
 * {@code /reset}, {@code /version}, {@code /populate}, with Toxiproxy's JSON bodies; POST and
 * PATCH both update. Errors answer Toxiproxy's status codes with {@code {"error":..,"status":..}}:
 * 400 for a bad body or attribute, 404 for an unknown proxy or toxic, 405 for a wrong method,
 * 409 for a duplicate name or an address in use. No request can crash the server.
 *
 * <pre>{@code
 * try (ChaosServer server = ChaosServer.start(new InetSocketAddress("127.0.0.1", 8474))) {
 *     ChaosProxy db = server.createProxy("db", "127.0.0.1:0", "127.0.0.1:5432", true);
 * }
 * }</pre>
 */
public final class ChaosServer implements AutoCloseable {

    /** Reported by {@code GET /version}. */
    public static final String VERSION = "strata-chaos 0.1.0";

    private final EventBus events;
    private final ReentrantLock lock = new ReentrantLock(); // serialises create/delete/populate
    private final Map<String, ChaosProxy> proxies = new ConcurrentHashMap<>();
    private final HttpServer http;
    private final ExecutorService handlers;
    private volatile boolean closed;
    private volatile boolean stopped;
    private final ApiGuard guard;

    /** How long {@link #close()} waits for requests in flight before abandoning them. */
    static final java.time.Duration CLOSE_GRACE = java.time.Duration.ofSeconds(2);

    private ChaosServer(InetSocketAddress address, EventBus events, boolean allowNonLoopback) throws IOException {
        this.events = events;
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpServer.create(address, 64);
        this.guard = new ApiGuard(http.getAddress(), allowNonLoopback);
        http.createContext("/", new ChaosApi(this, guard)::handle);
        http.setExecutor(handlers);
        http.start();
    }

    /**
     * Starts the control API on {@code address} (use port 0 for a free port), publishing proxy
     * and toxic changes to the root event bus.
     *
     * @throws UncheckedIOException when the address is in use
     */
    public static ChaosServer start(InetSocketAddress address) {
        return start(address, EventBus.root());
    }

    /** Same as {@link #start(InetSocketAddress)}, publishing changes to {@code events}. */
    public static ChaosServer start(InetSocketAddress address, EventBus events) {
        return start(address, events, false);
    }

    /**
     * Starts the control API on {@code address}. The API opens relays to any upstream, so by
     * default it listens on loopback only, answers only requests addressed to its own address
     * (the {@code Host} header; a DNS-rebinding page sends another) and refuses any request a
     * browser sends from a foreign page (an {@code Origin} header not its own), with 403.
     *
     * @param allowNonLoopback whether {@code address} and proxies' listen addresses may be off
     *     loopback (for example {@code 0.0.0.0} in a container); the Host and Origin checks stay
     * @throws IllegalArgumentException when an address is off loopback and that is not allowed
     * @throws UncheckedIOException when the address is in use
     */
    public static ChaosServer start(InetSocketAddress address, EventBus events, boolean allowNonLoopback) {
        Require.nonNull("address", address);
        Require.nonNull("events", events);
        ApiGuard.requireLoopback("address", address, allowNonLoopback);
        try {
            return new ChaosServer(address, events, allowNonLoopback);
        } catch (IOException e) {
            throw new UncheckedIOException("chaos server: cannot listen on " + ChaosProxy.format(address) + ": " + e.getMessage(), e);
        }
    }

    /** The control API's address, with the real port. */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** The base URL of the control API, e.g. {@code http://127.0.0.1:8474}. */
    public URI uri() {
        InetSocketAddress address = address();
        return URI.create("http://" + ChaosProxy.format(address));
    }

    /**
     * Creates and registers a proxy.
     *
     * @param listen {@code host:port}, port 0 for a free one
     * @param upstream {@code host:port}
     * @throws IllegalArgumentException for a bad name or address
     * @throws IllegalStateException when a proxy of that name exists
     * @throws UncheckedIOException when the listen address is in use
     */
    public ChaosProxy createProxy(String name, String listen, String upstream, boolean enabled) {
        Require.notBlank("name", name);
        InetSocketAddress listenAddress = parseAddress("listen", listen);
        InetSocketAddress upstreamAddress = parseAddress("upstream", upstream);
        guard.requireLoopback("listen", listenAddress);
        lock.lock();
        try {
            if (proxies.containsKey(name)) {
                throw new IllegalStateException("proxy already exists: " + name);
            }
            ChaosProxy proxy = ChaosProxy.builder(name, upstreamAddress)
                    .listen(listenAddress).enabled(enabled).events(events).start();
            proxies.put(name, proxy);
            publish(name, "chaos.proxy-created", "proxy " + name + " created: " + ChaosProxy.format(proxy.listenAddress())
                    + " -> " + ChaosProxy.format(upstreamAddress) + (enabled ? "" : " (disabled)"));
            return proxy;
        } finally {
            lock.unlock();
        }
    }

    /** The proxy of that name, if any. */
    public Optional<ChaosProxy> proxy(String name) {
        return Optional.ofNullable(proxies.get(name));
    }

    /** Every proxy, in no particular order. */
    public Collection<ChaosProxy> proxies() {
        return List.copyOf(proxies.values());
    }

    /**
     * Closes and forgets a proxy.
     *
     * @throws NoSuchElementException when there is none of that name
     */
    public void deleteProxy(String name) {
        ChaosProxy removed = proxies.remove(name);
        if (removed == null) {
            throw new NoSuchElementException("proxy not found: " + name);
        }
        removed.close();
        publish(name, "chaos.proxy-deleted", "proxy " + name + " deleted");
    }

    /** Enables every proxy and removes every toxic, as Toxiproxy's {@code POST /reset}. */
    public void reset() {
        for (ChaosProxy proxy : proxies.values()) {
            proxy.enable();
            proxy.removeAllToxics();
        }
    }

    /**
     * Creates or replaces proxies from Toxiproxy's populate JSON: an array of
     * {@code {"name","listen","upstream","enabled","toxics"}} objects (toxics optional). A proxy
     * whose listen and upstream are unchanged is kept, with its open connections; others are
     * recreated. All entries are validated before any is applied.
     *
     * @return the proxies named in the document, in its order
     * @throws IllegalArgumentException when the JSON or an entry is invalid
     */
    public List<ChaosProxy> populate(String json) {
        Object parsed = Json.parse(json, "body");
        if (!(parsed instanceof List<?> entries)) {
            throw new IllegalArgumentException("body: expected a JSON array of proxies");
        }
        List<ProxySpec> specs = new ArrayList<>();
        for (Object entry : entries) {
            specs.add(ProxySpec.from(ToxiproxyJson.asObject("proxy", entry)));
        }
        lock.lock();
        try {
            List<ChaosProxy> result = new ArrayList<>();
            for (ProxySpec spec : specs) {
                ChaosProxy existing = proxies.get(spec.name());
                if (existing != null && !(sameAddress(existing.listenAddress(), spec.listen())
                        && existing.upstreamAddress().equals(spec.upstream()))) {
                    deleteProxy(spec.name());
                    existing = null;
                }
                ChaosProxy proxy = existing != null ? existing
                        : createProxy(spec.name(), ChaosProxy.format(spec.listen()), ChaosProxy.format(spec.upstream()), spec.enabled());
                if (spec.enabled()) {
                    proxy.enable();
                } else {
                    proxy.disable();
                }
                if (spec.toxics() != null) {
                    proxy.removeAllToxics();
                    for (Toxic toxic : spec.toxics()) {
                        proxy.addToxic(toxic);
                    }
                }
                result.add(proxy);
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the control API and closes every proxy; idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        http.stop(0);
        // Bounded: a client that never finishes sending its request must not hold close() up.
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(CLOSE_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                handlers.shutdownNow();
                handlers.awaitTermination(CLOSE_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException interrupted) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (String name : List.copyOf(proxies.keySet())) {
            try {
                deleteProxy(name);
            } catch (NoSuchElementException raced) {
                // deleted concurrently
            }
        }
        stopped = true;
    }

    /** Whether {@link #close()} has finished: API stopped and every proxy closed. */
    public boolean isClosed() {
        return stopped;
    }

    /** Whether a proxy bound to {@code bound} already is where {@code wanted} asks (port 0 or no host: any). */
    static boolean sameAddress(InetSocketAddress bound, InetSocketAddress wanted) {
        return (wanted.getPort() == 0 || wanted.getPort() == bound.getPort())
                && (wanted.getAddress() == null || wanted.getAddress().equals(bound.getAddress()));
    }

    /**
     * Parses {@code host:port} (IPv6 as {@code [::1]:port}); an empty host means 127.0.0.1.
     *
     * @param field the name to give in an error message, e.g. {@code listen}
     * @throws IllegalArgumentException naming the field and value
     */
    public static InetSocketAddress parseAddress(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": missing; expected host:port");
        }
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(field + ": '" + value + "' is not host:port");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + value + "' has no numeric port");
        }
        Require.between(field + ".port", port, 0, 65_535);
        try {
            InetAddress address = host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new InetSocketAddress(address, port);
        } catch (IOException e) {
            throw new IllegalArgumentException(field + ": '" + value + "' has an unknown host: " + e.getMessage());
        }
    }

    private void publish(String proxy, String type, String message) {
        if (events.isActive(Level.INFO)) {
            events.publish(new BasicEvent(System.currentTimeMillis(), proxy, type, Layer.NETWORK, Level.INFO, null, message));
        }
    }
}
