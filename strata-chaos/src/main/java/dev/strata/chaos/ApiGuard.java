package dev.strata.chaos;

import com.sun.net.httpserver.Headers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Who may drive a {@link ChaosServer}. Its API opens relays to any upstream, so it stays on
 * loopback unless explicitly allowed, answers only requests addressed to its own address, and
 * refuses what a web page makes a browser send: a page either names another host (DNS
 * rebinding) or carries its own {@code Origin}, and a text/plain POST needs no preflight.
 */
final class ApiGuard {

    private final InetSocketAddress bound;
    private final boolean allowNonLoopback;
    /** Host header values this server answers to, e.g. {@code 127.0.0.1:8474}; null accepts any (wildcard bind). */
    private final Set<String> hosts;

    ApiGuard(InetSocketAddress bound, boolean allowNonLoopback) {
        this.bound = bound;
        this.allowNonLoopback = allowNonLoopback;
        this.hosts = acceptedHosts(bound);
    }

    /** Why a request with these headers must be refused (answered with 403), or null. */
    String refusal(Headers headers) {
        String host = headers.getFirst("Host");
        if (host == null) {
            return "Host header missing";
        }
        String normalized = host.trim().toLowerCase(Locale.ROOT);
        if (hosts != null && !hosts.contains(normalized)) {
            return "Host '" + host + "' is not this server's address " + ChaosProxy.format(bound);
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && !origin.trim().toLowerCase(Locale.ROOT).equals("http://" + normalized)) {
            return "requests from web pages are refused (Origin '" + origin + "')";
        }
        return null;
    }

    /** Refuses a proxy's listen address off loopback unless this server allows it. */
    void requireLoopback(String field, InetSocketAddress address) {
        requireLoopback(field, address, allowNonLoopback);
    }

    static void requireLoopback(String field, InetSocketAddress address, boolean allowNonLoopback) {
        if (allowNonLoopback || (address.getAddress() != null && address.getAddress().isLoopbackAddress())) {
            return;
        }
        throw new IllegalArgumentException(field + ": " + ChaosProxy.format(address) + " is not a loopback address;"
                + " the chaos API relays to any upstream, so it stays on loopback unless explicitly allowed"
                + " (ChaosServer.start(address, events, true), CLI --allow-remote)");
    }

    private static Set<String> acceptedHosts(InetSocketAddress bound) {
        InetAddress address = bound.getAddress();
        if (address == null || address.isAnyLocalAddress()) {
            return null; // bound everywhere (explicitly allowed): any name may reach it; Origin still checked
        }
        int port = bound.getPort();
        Set<String> names = new HashSet<>();
        String literal = address.getHostAddress();
        names.add((literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port);
        if (address.isLoopbackAddress()) {
            names.add("localhost:" + port);
            names.add("127.0.0.1:" + port);
            names.add("[::1]:" + port);
        }
        return Set.copyOf(names);
    }
}
