package dev.strata.chaos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strata.internal.Json;
import dev.strata.internal.Require;
import dev.strata.fault.Layer;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
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
    private final boolean allowNonLoopback;
    /** Host header values this server answers to, e.g. {@code 127.0.0.1:8474}; null accepts any (wildcard bind). */
    private final java.util.Set<String> hosts;

    /** How long {@link #close()} waits for requests in flight before abandoning them. */
    static final java.time.Duration CLOSE_GRACE = java.time.Duration.ofSeconds(2);

    private ChaosServer(InetSocketAddress address, EventBus events, boolean allowNonLoopback) throws IOException {
        this.events = events;
        this.allowNonLoopback = allowNonLoopback;
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpServer.create(address, 64);
        this.hosts = acceptedHosts(http.getAddress());
        http.createContext("/", this::handle);
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
        requireLoopback("address", address, allowNonLoopback);
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
        requireLoopback("listen", listenAddress, allowNonLoopback);
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
            specs.add(ProxySpec.from(asObject("proxy", entry)));
        }
        lock.lock();
        try {
            List<ChaosProxy> result = new ArrayList<>();
            for (ProxySpec spec : specs) {
                ChaosProxy existing = proxies.get(spec.name);
                if (existing != null && !(sameAddress(existing.listenAddress(), spec.listen)
                        && existing.upstreamAddress().equals(spec.upstream))) {
                    deleteProxy(spec.name);
                    existing = null;
                }
                ChaosProxy proxy = existing != null ? existing
                        : createProxy(spec.name, ChaosProxy.format(spec.listen), ChaosProxy.format(spec.upstream), spec.enabled);
                if (spec.enabled) {
                    proxy.enable();
                } else {
                    proxy.disable();
                }
                if (spec.toxics != null) {
                    proxy.removeAllToxics();
                    for (Toxic toxic : spec.toxics) {
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

    // --- HTTP -----------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        int status;
        String body;
        String refusal = refusal(exchange);
        try {
            if (refusal != null) {
                throw new Forbidden(refusal);
            }
            Response response = route(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), readBody(exchange));
            status = response.status;
            body = response.json == null ? null : Json.write(response.json);
        } catch (Forbidden e) {
            status = 403;
            body = error(403, e.getMessage());
        } catch (MethodNotAllowed e) {
            status = 405;
            body = error(405, e.getMessage());
        } catch (IllegalArgumentException e) {
            status = 400;
            body = error(400, e.getMessage());
        } catch (NoSuchElementException e) {
            status = 404;
            body = error(404, e.getMessage());
        } catch (IllegalStateException e) {
            status = 409;
            body = error(409, e.getMessage());
        } catch (UncheckedIOException e) {
            boolean inUse = e.getCause() instanceof BindException;
            status = inUse ? 409 : 500;
            body = error(status, e.getMessage());
        } catch (RuntimeException e) {
            status = 500;
            body = error(500, "internal error: " + e);
        }
        try (exchange) {
            if (body == null) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private record Response(int status, Object json) {
    }

    private Response route(String method, String rawPath, String body) {
        List<String> parts = new ArrayList<>();
        for (String segment : rawPath.split("/")) {
            if (!segment.isEmpty()) {
                parts.add(java.net.URLDecoder.decode(segment, StandardCharsets.UTF_8));
            }
        }
        boolean update = method.equals("POST") || method.equals("PATCH");
        if (parts.size() == 1 && parts.get(0).equals("version")) {
            requireMethod(method, "GET");
            return new Response(200, Map.of("version", VERSION));
        }
        if (parts.size() == 1 && parts.get(0).equals("reset")) {
            requireMethod(method, "POST");
            reset();
            return new Response(204, null);
        }
        if (parts.size() == 1 && parts.get(0).equals("populate")) {
            requireMethod(method, "POST");
            List<Object> created = new ArrayList<>();
            for (ChaosProxy proxy : populate(body)) {
                created.add(proxyJson(proxy));
            }
            return new Response(201, Map.of("proxies", created));
        }
        if (parts.isEmpty() || !parts.get(0).equals("proxies")) {
            throw new NoSuchElementException("no such endpoint: " + rawPath);
        }
        if (parts.size() == 1) {
            if (method.equals("GET")) {
                Map<String, Object> all = new LinkedHashMap<>();
                proxies.values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                        .forEach(proxy -> all.put(proxy.name(), proxyJson(proxy)));
                return new Response(200, all);
            }
            requireMethod(method, "POST");
            ProxySpec spec = ProxySpec.from(asObject("body", Json.parse(body, "body")));
            ChaosProxy proxy = createProxy(spec.name, ChaosProxy.format(spec.listen), ChaosProxy.format(spec.upstream), spec.enabled);
            if (spec.toxics != null) {
                spec.toxics.forEach(proxy::addToxic);
            }
            return new Response(201, proxyJson(proxy));
        }
        ChaosProxy proxy = proxy(parts.get(1)).orElseThrow(() -> new NoSuchElementException("proxy not found: " + parts.get(1)));
        if (parts.size() == 2) {
            if (method.equals("GET")) {
                return new Response(200, proxyJson(proxy));
            }
            if (method.equals("DELETE")) {
                deleteProxy(proxy.name());
                return new Response(204, null);
            }
            requireMethod(method, update, "GET, POST, PATCH, DELETE");
            updateProxy(proxy, asObject("body", Json.parse(body, "body")));
            return new Response(200, proxyJson(proxy));
        }
        if (!parts.get(2).equals("toxics") || parts.size() > 4) {
            throw new NoSuchElementException("no such endpoint: " + rawPath);
        }
        if (parts.size() == 3) {
            if (method.equals("GET")) {
                return new Response(200, proxy.toxics().stream().map(ChaosServer::toxicJson).toList());
            }
            requireMethod(method, "POST");
            Toxic toxic = toxicFrom(asObject("body", Json.parse(body, "body")));
            return new Response(200, toxicJson(proxy.addToxic(toxic)));
        }
        String toxicName = parts.get(3);
        Toxic current = proxy.toxic(toxicName)
                .orElseThrow(() -> new NoSuchElementException("toxic not found: " + toxicName));
        if (method.equals("GET")) {
            return new Response(200, toxicJson(current));
        }
        if (method.equals("DELETE")) {
            proxy.removeToxic(toxicName);
            return new Response(204, null);
        }
        requireMethod(method, update, "GET, POST, PATCH, DELETE");
        Toxic changed = toxicUpdate(current, asObject("body", Json.parse(body, "body")));
        return new Response(200, toxicJson(proxy.updateToxic(changed)));
    }

    private static void requireMethod(String method, String allowed) {
        requireMethod(method, method.equals(allowed), allowed);
    }

    private static void requireMethod(String method, boolean ok, String allowed) {
        if (!ok) {
            throw new MethodNotAllowed("method: " + method + " is not allowed here; allowed " + allowed);
        }
    }

    /** Answered with 405. */
    private static final class MethodNotAllowed extends RuntimeException {
        MethodNotAllowed(String message) {
            super(message, null, false, false);
        }
    }

    private static final class Forbidden extends RuntimeException {
        Forbidden(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Why a request must be refused, or null. A web page can make a browser send requests here
     * (a text/plain POST needs no preflight); it either names another host (DNS rebinding) or
     * carries its own Origin.
     */
    private String refusal(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null) {
            return "Host header missing";
        }
        String normalized = host.trim().toLowerCase(java.util.Locale.ROOT);
        if (hosts != null && !hosts.contains(normalized)) {
            return "Host '" + host + "' is not this server's address " + ChaosProxy.format(address());
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !origin.trim().toLowerCase(java.util.Locale.ROOT).equals("http://" + normalized)) {
            return "requests from web pages are refused (Origin '" + origin + "')";
        }
        return null;
    }

    private static java.util.Set<String> acceptedHosts(InetSocketAddress bound) {
        InetAddress address = bound.getAddress();
        if (address == null || address.isAnyLocalAddress()) {
            return null; // bound everywhere (explicitly allowed): any name may reach it; Origin still checked
        }
        int port = bound.getPort();
        java.util.Set<String> names = new java.util.HashSet<>();
        String literal = address.getHostAddress();
        names.add((literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port);
        if (address.isLoopbackAddress()) {
            names.add("localhost:" + port);
            names.add("127.0.0.1:" + port);
            names.add("[::1]:" + port);
        }
        return java.util.Set.copyOf(names);
    }

    private static void requireLoopback(String field, InetSocketAddress address, boolean allowNonLoopback) {
        if (allowNonLoopback || (address.getAddress() != null && address.getAddress().isLoopbackAddress())) {
            return;
        }
        throw new IllegalArgumentException(field + ": " + ChaosProxy.format(address) + " is not a loopback address;"
                + " the chaos API relays to any upstream, so it stays on loopback unless explicitly allowed"
                + " (ChaosServer.start(address, events, true), CLI --allow-remote)");
    }

    private void updateProxy(ChaosProxy proxy, Map<String, Object> body) {
        rejectUnknown("proxy", body, List.of("name", "listen", "upstream", "enabled", "toxics"));
        if (body.containsKey("name") && !proxy.name().equals(body.get("name"))) {
            throw new IllegalArgumentException("name: a proxy cannot be renamed; delete and create it");
        }
        InetSocketAddress listen = body.containsKey("listen") ? parseAddress("listen", asString("listen", body.get("listen"))) : null;
        InetSocketAddress upstream = body.containsKey("upstream") ? parseAddress("upstream", asString("upstream", body.get("upstream"))) : null;
        Boolean enabled = body.containsKey("enabled") ? asBoolean("enabled", body.get("enabled")) : null;
        if (upstream != null && !upstream.equals(proxy.upstreamAddress())) {
            proxy.setUpstream(upstream);
        }
        if (listen != null && !sameAddress(proxy.listenAddress(), listen)) {
            requireLoopback("listen", listen, allowNonLoopback);
            proxy.setListenAddress(listen);
        }
        if (enabled != null) {
            if (enabled) {
                proxy.enable();
            } else {
                proxy.disable();
            }
        }
    }

    private static boolean sameAddress(InetSocketAddress bound, InetSocketAddress wanted) {
        return (wanted.getPort() == 0 || wanted.getPort() == bound.getPort())
                && (wanted.getAddress() == null || wanted.getAddress().equals(bound.getAddress()));
    }

    // --- JSON mapping -------------------------------------------------------------------------

    static Map<String, Object> proxyJson(ChaosProxy proxy) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", proxy.name());
        json.put("listen", ChaosProxy.format(proxy.listenAddress()));
        json.put("upstream", ChaosProxy.format(proxy.upstreamAddress()));
        json.put("enabled", proxy.isEnabled());
        json.put("toxics", proxy.toxics().stream().map(ChaosServer::toxicJson).toList());
        return json;
    }

    static Map<String, Object> toxicJson(Toxic toxic) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (ToxicType.Attribute attribute : toxic.type().attributes()) {
            long value = toxic.attribute(attribute.name());
            attributes.put(attribute.name(), attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN ? value != 0 : value);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", toxic.name());
        json.put("type", toxic.type().wireName());
        json.put("stream", toxic.stream().wireName());
        json.put("toxicity", toxic.toxicity());
        json.put("attributes", attributes);
        return json;
    }

    static Toxic toxicFrom(Map<String, Object> body) {
        rejectUnknown("toxic", body, List.of("name", "type", "stream", "toxicity", "attributes"));
        if (!body.containsKey("type")) {
            throw new IllegalArgumentException("type: missing; every toxic needs a type");
        }
        ToxicType type = ToxicType.fromWireName(asString("type", body.get("type")));
        Direction stream = body.get("stream") == null ? Direction.DOWNSTREAM
                : Direction.fromWireName(asString("stream", body.get("stream")));
        double toxicity = body.get("toxicity") == null ? 1.0 : asDouble("toxicity", body.get("toxicity"));
        String name = body.get("name") == null ? null : asString("name", body.get("name"));
        return new Toxic(name, type, stream, toxicity, attributesFrom(type, body.get("attributes")));
    }

    static Toxic toxicUpdate(Toxic current, Map<String, Object> body) {
        rejectUnknown("toxic", body, List.of("name", "type", "stream", "toxicity", "attributes"));
        if (body.get("type") != null && ToxicType.fromWireName(asString("type", body.get("type"))) != current.type()) {
            throw new IllegalArgumentException("type: a toxic's type cannot change; delete and create it");
        }
        if (body.get("name") != null && !current.name().equals(body.get("name"))) {
            throw new IllegalArgumentException("name: a toxic cannot be renamed; delete and create it");
        }
        Direction stream = body.get("stream") == null ? current.stream() : Direction.fromWireName(asString("stream", body.get("stream")));
        double toxicity = body.get("toxicity") == null ? current.toxicity() : asDouble("toxicity", body.get("toxicity"));
        Map<String, Long> attributes = new LinkedHashMap<>(current.attributes());
        attributes.putAll(attributesFrom(current.type(), body.get("attributes")));
        return new Toxic(current.name(), current.type(), stream, toxicity, attributes);
    }

    private static Map<String, Long> attributesFrom(ToxicType type, Object value) {
        Map<String, Long> result = new LinkedHashMap<>();
        if (value == null) {
            return result;
        }
        for (Map.Entry<String, Object> entry : asObject("attributes", value).entrySet()) {
            String field = "attributes." + entry.getKey();
            ToxicType.Attribute attribute = type.attribute(entry.getKey());
            if (attribute == null) {
                throw new IllegalArgumentException(field + ": not an attribute of " + type.wireName()
                        + "; allowed " + type.attributes().stream().map(ToxicType.Attribute::name).toList());
            }
            Object raw = entry.getValue();
            long number;
            if (attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN && raw instanceof Boolean flag) {
                number = flag ? 1 : 0;
            } else if (raw instanceof Long whole) {
                number = whole;
            } else if (raw instanceof Double real && real == Math.rint(real) && Math.abs(real) < 9.0e15) {
                number = real.longValue(); // some clients write 100.0 for 100
            } else if (raw instanceof BigDecimal) {
                throw new IllegalArgumentException(field + ": " + raw + " is out of range; allowed "
                        + attribute.min() + ".." + attribute.max());
            } else {
                throw new IllegalArgumentException(field + ": " + Json.write(raw) + " is not allowed; must be "
                        + (attribute.kind() == ToxicType.Attribute.Kind.BOOLEAN ? "true or false" : "a whole number"));
            }
            result.put(entry.getKey(), number);
        }
        return result;
    }

    /** A proxy as described in a create or populate body. */
    private static final class ProxySpec {
        String name;
        InetSocketAddress listen;
        InetSocketAddress upstream;
        boolean enabled = true;
        List<Toxic> toxics;

        static ProxySpec from(Map<String, Object> body) {
            rejectUnknown("proxy", body, List.of("name", "listen", "upstream", "enabled", "toxics"));
            ProxySpec spec = new ProxySpec();
            spec.name = Require.notBlank("name", body.get("name") == null ? null : asString("name", body.get("name")));
            spec.listen = parseAddress("listen", body.get("listen") == null ? "127.0.0.1:0" : asString("listen", body.get("listen")));
            spec.upstream = parseAddress("upstream", body.get("upstream") == null ? null : asString("upstream", body.get("upstream")));
            if (body.get("enabled") != null) {
                spec.enabled = asBoolean("enabled", body.get("enabled"));
            }
            if (body.get("toxics") != null) {
                if (!(body.get("toxics") instanceof List<?> list)) {
                    throw new IllegalArgumentException("toxics: expected an array");
                }
                spec.toxics = new ArrayList<>();
                for (Object toxic : list) {
                    spec.toxics.add(toxicFrom(asObject("toxics[]", toxic)));
                }
            }
            return spec;
        }
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

    private static void rejectUnknown(String what, Map<String, Object> body, List<String> known) {
        for (String key : body.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(key + ": not a field of a " + what + "; allowed " + known);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(String field, Object value) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException(field + ": expected a JSON object");
    }

    private static String asString(String field, Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be a string");
    }

    private static boolean asBoolean(String field, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be true or false");
    }

    private static double asDouble(String field, Object value) {
        if (value instanceof Number n && !(value instanceof BigDecimal)) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(field + ": " + Json.write(value) + " is not allowed; must be a number in 0..1");
    }

    private static String readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(1 << 20);
            if (in.read() >= 0) {
                throw new IllegalArgumentException("body: larger than 1 MiB");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static String error(int status, String message) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("error", message);
        json.put("status", status);
        return Json.write(json);
    }

    private void publish(String proxy, String type, String message) {
        if (events.isActive(Level.INFO)) {
            events.publish(new BasicEvent(System.currentTimeMillis(), proxy, type, Layer.NETWORK, Level.INFO, null, message));
        }
    }
}
