package dev.strata.chaos;

import static dev.strata.chaos.ToxiproxyJson.asBoolean;
import static dev.strata.chaos.ToxiproxyJson.asObject;
import static dev.strata.chaos.ToxiproxyJson.asString;
import static dev.strata.chaos.ToxiproxyJson.proxyJson;
import static dev.strata.chaos.ToxiproxyJson.toxicFrom;
import static dev.strata.chaos.ToxiproxyJson.toxicJson;
import static dev.strata.chaos.ToxiproxyJson.toxicUpdate;

import com.sun.net.httpserver.HttpExchange;
import dev.strata.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The HTTP side of a {@link ChaosServer}: Toxiproxy's routes onto the server's methods, and
 * every outcome onto Toxiproxy's status codes with {@code {"error":..,"status":..}}, so no
 * request can crash the server: 400 for a bad body or attribute, 403 for a request the
 * {@link ApiGuard} refuses, 404 for an unknown proxy or toxic, 405 for a wrong method, 409 for
 * a duplicate name or an address in use.
 */
final class ChaosApi {

    /** Largest request body read; a bigger one is a 400, not a memory problem. */
    private static final int MAX_BODY = 1 << 20;

    private final ChaosServer server;
    private final ApiGuard guard;

    ChaosApi(ChaosServer server, ApiGuard guard) {
        this.server = server;
        this.guard = guard;
    }

    void handle(HttpExchange exchange) throws IOException {
        int status;
        String body;
        String refusal = guard.refusal(exchange.getRequestHeaders());
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
                parts.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
            }
        }
        boolean update = method.equals("POST") || method.equals("PATCH");
        if (parts.size() == 1 && parts.get(0).equals("version")) {
            requireMethod(method, "GET");
            return new Response(200, Map.of("version", ChaosServer.VERSION));
        }
        if (parts.size() == 1 && parts.get(0).equals("reset")) {
            requireMethod(method, "POST");
            server.reset();
            return new Response(204, null);
        }
        if (parts.size() == 1 && parts.get(0).equals("populate")) {
            requireMethod(method, "POST");
            List<Object> created = new ArrayList<>();
            for (ChaosProxy proxy : server.populate(body)) {
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
                server.proxies().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                        .forEach(proxy -> all.put(proxy.name(), proxyJson(proxy)));
                return new Response(200, all);
            }
            requireMethod(method, "POST");
            ToxiproxyJson.ProxySpec spec = ToxiproxyJson.ProxySpec.from(asObject("body", Json.parse(body, "body")));
            ChaosProxy proxy = server.createProxy(spec.name(), ChaosProxy.format(spec.listen()),
                    ChaosProxy.format(spec.upstream()), spec.enabled());
            if (spec.toxics() != null) {
                spec.toxics().forEach(proxy::addToxic);
            }
            return new Response(201, proxyJson(proxy));
        }
        ChaosProxy proxy = server.proxy(parts.get(1)).orElseThrow(() -> new NoSuchElementException("proxy not found: " + parts.get(1)));
        if (parts.size() == 2) {
            if (method.equals("GET")) {
                return new Response(200, proxyJson(proxy));
            }
            if (method.equals("DELETE")) {
                server.deleteProxy(proxy.name());
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
                return new Response(200, proxy.toxics().stream().map(ToxiproxyJson::toxicJson).toList());
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

    /** Applies a proxy update body: new upstream, new listen address, enabled; a proxy cannot be renamed. */
    private void updateProxy(ChaosProxy proxy, Map<String, Object> body) {
        ToxiproxyJson.rejectUnknownProxyFields(body);
        if (body.containsKey("name") && !proxy.name().equals(body.get("name"))) {
            throw new IllegalArgumentException("name: a proxy cannot be renamed; delete and create it");
        }
        InetSocketAddress listen = body.containsKey("listen")
                ? ChaosServer.parseAddress("listen", asString("listen", body.get("listen"))) : null;
        InetSocketAddress upstream = body.containsKey("upstream")
                ? ChaosServer.parseAddress("upstream", asString("upstream", body.get("upstream"))) : null;
        Boolean enabled = body.containsKey("enabled") ? asBoolean("enabled", body.get("enabled")) : null;
        if (upstream != null && !upstream.equals(proxy.upstreamAddress())) {
            proxy.setUpstream(upstream);
        }
        if (listen != null && !ChaosServer.sameAddress(proxy.listenAddress(), listen)) {
            guard.requireLoopback("listen", listen);
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

    /** Answered with 403. */
    private static final class Forbidden extends RuntimeException {
        Forbidden(String message) {
            super(message, null, false, false);
        }
    }

    private static String readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY);
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
}
