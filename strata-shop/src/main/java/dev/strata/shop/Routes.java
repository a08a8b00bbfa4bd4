package dev.strata.shop;

import com.sun.net.httpserver.HttpExchange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shop's route table: the extension point through which the order endpoints, the health
 * endpoints and every plug-in's endpoints ({@code /strata/diagnosis}, {@code /metrics}, the
 * dashboard) reach the shop's one HTTP server.
 *
 * <pre>{@code
 * routes.get("/strata/diagnosis", request -> Response.json(200, diagnoser.toJson()));
 * routes.get("/strata/dashboard/*", request -> assets.serve(request.path()));   // a path prefix
 * routes.filter("/checkout", (request, next) -> limiter.allows(request) ? next.handle(request)
 *         : Response.error(429, "too many requests").withHeader("Retry-After", "1"));
 * routes.stream("GET", "/strata/events", exchange -> ...);                        // raw exchange, e.g. SSE
 * }</pre>
 *
 * <p>Rules, so plug-ins cannot step on each other: a method and path can be registered once; a
 * second registration fails with {@link IllegalStateException} naming both owners. A path ending in
 * {@code /*} matches every path under it; an exact path wins over a prefix, a longer prefix over a
 * shorter one. Filters wrap the handlers of the paths they match (same syntax; {@code /*} is every
 * path) in registration order, the first registered outermost. Unknown paths answer 404, a known
 * path with another method 405 with {@code Allow}. A handler that throws answers 500 with the
 * exception's message; it never takes the server down.
 *
 * <p>Registration happens before the server starts serving ({@link ShopPlugin#install}); lookups
 * afterwards are lock-free reads of a table that no longer changes.
 */
public final class Routes {

    /** Answers one request. */
    @FunctionalInterface
    public interface Handler {
        /**
         * @return the answer; throwing answers 500 with the exception's message
         */
        Response handle(Request request) throws Exception;
    }

    /** Wraps the handlers of the paths it is registered for: may answer itself or call {@code next}. */
    @FunctionalInterface
    public interface Filter {
        Response filter(Request request, Handler next) throws Exception;
    }

    /**
     * Serves a request on the raw exchange, for what a {@link Response} cannot say (streaming,
     * server-sent events). It must send the response headers and close the exchange; filters do not
     * apply to it.
     */
    @FunctionalInterface
    public interface ExchangeHandler {
        void handle(HttpExchange exchange) throws Exception;
    }

    /** A registered handler and who registered it, for error messages. */
    record Entry(String method, String path, Handler handler, ExchangeHandler raw, String owner) {
    }

    private record FilterEntry(String path, Filter filter, String owner) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Map<String, Entry>> byPath = new LinkedHashMap<>(); // path -> method -> entry
    private final List<FilterEntry> filters = new ArrayList<>();
    private volatile boolean frozen;
    private String owner = "shop";

    Routes() {
    }

    /** Registers a {@code GET} handler (also answers {@code HEAD}). */
    public Routes get(String path, Handler handler) {
        return route("GET", path, handler);
    }

    /** Registers a {@code POST} handler. */
    public Routes post(String path, Handler handler) {
        return route("POST", path, handler);
    }

    /**
     * Registers a handler for one method and path.
     *
     * @param path starts with {@code /}; ending in {@code /*} makes it a prefix
     * @throws IllegalStateException when that method and path are taken, or the server already serves
     * @throws IllegalArgumentException for a bad method or path
     */
    public Routes route(String method, String path, Handler handler) {
        add(new Entry(checkMethod(method), checkPath(path), Args.nonNull("handler", handler), null, owner));
        return this;
    }

    /** Registers a raw-exchange handler for one method and path; see {@link ExchangeHandler}. */
    public Routes stream(String method, String path, ExchangeHandler handler) {
        add(new Entry(checkMethod(method), checkPath(path), null, Args.nonNull("handler", handler), owner));
        return this;
    }

    /**
     * Wraps every handler whose path {@code path} matches (exact, or a {@code /*} prefix; {@code /*}
     * is every path) with {@code filter}, e.g. a per-client rate limit on {@code /checkout}.
     */
    public Routes filter(String path, Filter filter) {
        String checked = checkPath(path);
        Args.nonNull("filter", filter);
        lock.lock();
        try {
            checkOpen();
            filters.add(new FilterEntry(checked, filter, owner));
        } finally {
            lock.unlock();
        }
        return this;
    }

    /** Every registered route as {@code METHOD path (owner)}, sorted: printed at start and for tests. */
    public List<String> describe() {
        lock.lock();
        try {
            TreeSet<String> lines = new TreeSet<>();
            byPath.values().forEach(methods -> methods.values().forEach(
                    e -> lines.add(e.method() + " " + e.path() + " (" + e.owner() + ")")));
            filters.forEach(f -> lines.add("FILTER " + f.path() + " (" + f.owner() + ")"));
            return List.copyOf(lines);
        } finally {
            lock.unlock();
        }
    }

    /** Registrations from now on are attributed to {@code name} in errors and {@link #describe()}. */
    void owner(String name) {
        lock.lock();
        try {
            this.owner = name;
        } finally {
            lock.unlock();
        }
    }

    /** No registration after this: the server is about to serve. */
    void freeze() {
        lock.lock();
        try {
            frozen = true;
        } finally {
            lock.unlock();
        }
    }

    private void add(Entry entry) {
        lock.lock();
        try {
            checkOpen();
            Map<String, Entry> methods = byPath.computeIfAbsent(entry.path(), p -> new LinkedHashMap<>());
            Entry existing = methods.get(entry.method());
            if (existing != null) {
                throw new IllegalStateException("route " + entry.method() + " " + entry.path() + ": registered by "
                        + existing.owner() + ", registered again by " + entry.owner() + "; pick another path");
            }
            methods.put(entry.method(), entry);
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (frozen) {
            throw new IllegalStateException("routes: the server is already serving; register routes in ShopPlugin.install");
        }
    }

    /** What a request resolves to. */
    sealed interface Match permits Found, NotFound, WrongMethod {
    }

    /** A handler for the request, with the filters that apply, outermost first. */
    record Found(Entry entry, List<Filter> filters) implements Match {
        /** The handler wrapped in its filters. */
        Handler chain() {
            Handler chain = entry.handler();
            for (int i = filters.size() - 1; i >= 0; i--) {
                Filter filter = filters.get(i);
                Handler next = chain;
                chain = request -> filter.filter(request, next);
            }
            return chain;
        }
    }

    /** No route for the path. */
    record NotFound() implements Match {
    }

    /** The path is known, the method is not. */
    record WrongMethod(List<String> allowed) implements Match {
    }

    /** Resolves a request; called on every request once frozen. */
    Match match(String method, String path) {
        Map<String, Entry> methods = lookup(path).orElse(null);
        if (methods == null) {
            return new NotFound();
        }
        Entry entry = methods.get(method);
        if (entry == null && method.equals("HEAD")) {
            entry = methods.get("GET");
        }
        if (entry == null) {
            List<String> allowed = new ArrayList<>(methods.keySet());
            if (allowed.contains("GET")) {
                allowed.add("HEAD");
            }
            return new WrongMethod(allowed);
        }
        List<Filter> applying = new ArrayList<>();
        for (FilterEntry f : filters) {
            if (matches(f.path(), path)) {
                applying.add(f.filter());
            }
        }
        return new Found(entry, applying);
    }

    private Optional<Map<String, Entry>> lookup(String path) {
        Map<String, Entry> exact = byPath.get(path);
        if (exact != null) {
            return Optional.of(exact);
        }
        Map<String, Entry> best = null;
        int bestLength = -1;
        for (Map.Entry<String, Map<String, Entry>> e : byPath.entrySet()) {
            String pattern = e.getKey();
            if (pattern.endsWith("/*") && matches(pattern, path) && pattern.length() > bestLength) {
                best = e.getValue();
                bestLength = pattern.length();
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean matches(String pattern, String path) {
        if (!pattern.endsWith("/*")) {
            return pattern.equals(path);
        }
        String base = pattern.substring(0, pattern.length() - 2); // "/strata/dashboard" for "/strata/dashboard/*"
        return path.equals(base) || path.startsWith(base + "/") || base.isEmpty();
    }

    private static String checkMethod(String method) {
        Args.notBlank("method", method);
        if (!method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("method: '" + method + "' is not allowed; must be upper-case letters, e.g. GET");
        }
        return method;
    }

    private static String checkPath(String path) {
        Args.notBlank("path", path);
        if (!path.startsWith("/") || path.contains("?") || path.contains("#")
                || (path.contains("*") && !path.endsWith("/*")) || path.indexOf('*') != path.lastIndexOf('*')) {
            throw new IllegalArgumentException("path: '" + path + "' is not allowed; must start with '/', have no query,"
                    + " and may end in '/*' for a prefix");
        }
        return path;
    }
}
