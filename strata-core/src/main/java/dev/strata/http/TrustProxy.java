package dev.strata.http;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Which proxies in front of a server are trusted to say who the client is, and how to find the
 * client behind them. Without trust ({@link #none()}, the default) the client is the TCP peer and
 * every forwarding header is ignored, so {@code X-Forwarded-For: 1.2.3.4} sent by a client
 * changes nothing.
 *
 * <p>With trust, the addresses are read from the nearest hop outwards: the TCP peer, then the
 * forwarding header's entries from right to left (each proxy appends the address it received the
 * request from). The first address that is not trusted is the client; if every one is trusted,
 * the leftmost. Entries left of the client are never read, so whatever a client writes into the
 * header itself cannot change its identity. Trust is either
 * <ul>
 *   <li>{@link #hops(int)}: the nearest {@code n} hops are proxies (the peer is hop 1), as with a
 *       fixed chain of load balancers; or</li>
 *   <li>{@link #cidrs(List)}: proxies are the addresses inside the given networks, with the names
 *       {@code loopback}, {@code linklocal}, {@code uniquelocal} and {@code private} for the
 *       well-known ranges.</li>
 * </ul>
 * The header read is {@code X-Forwarded-For} or RFC 7239 {@code Forwarded} ({@code for=}
 * parameters), one of them, never both. Optionally a single-value header written by a trusted
 * edge ({@code CF-Connecting-IP}) names the client directly, but only on a connection from a
 * trusted proxy.
 *
 * <p>Nothing here throws on request data: an entry that should name the client but does not hold
 * an IP address ({@code unknown}, an obfuscated node, garbage, a host name, which is never looked
 * up) makes the identity the TCP peer, marked {@link ClientIdentity.Source#SOCKET_MALFORMED_HEADER}.
 * Instances are immutable and thread-safe; {@link #resolve} allocates little and parses only the
 * entries it needs.
 */
public final class TrustProxy {

    /** The forwarding header to read. */
    public enum ForwardingHeader {
        X_FORWARDED_FOR("X-Forwarded-For"),
        /** RFC 7239. */
        FORWARDED("Forwarded");

        private final String headerName;

        ForwardingHeader(String headerName) {
            this.headerName = headerName;
        }

        /** The header's name on the wire. */
        public String headerName() {
            return headerName;
        }
    }

    /** Most hops accepted by {@link #hops(int)}. */
    public static final int MAX_HOPS = 32;
    /** Forwarding-header entries considered, counted from the right; a longer chain is cut on its left. */
    static final int MAX_ENTRIES = 64;

    private static final TrustProxy NONE = new TrustProxy(0, List.of(), ForwardingHeader.X_FORWARDED_FOR, null);

    private final int hops;
    private final List<Cidr> cidrs;
    private final ForwardingHeader header;
    private final String clientHeader;

    private TrustProxy(int hops, List<Cidr> cidrs, ForwardingHeader header, String clientHeader) {
        this.hops = hops;
        this.cidrs = cidrs;
        this.header = header;
        this.clientHeader = clientHeader;
    }

    /** Trusts no proxy: the client is the TCP peer. */
    public static TrustProxy none() {
        return NONE;
    }

    /**
     * Trusts the nearest {@code hops} hops, 1..32: with 1 the peer is a proxy and the client is
     * the rightmost forwarded address.
     */
    public static TrustProxy hops(int hops) {
        if (hops < 1 || hops > MAX_HOPS) {
            throw new IllegalArgumentException("trustProxy.hops: " + hops + " is out of range; allowed 1.." + MAX_HOPS
                    + " (use TrustProxy.none() to trust no proxy)");
        }
        return new TrustProxy(hops, List.of(), ForwardingHeader.X_FORWARDED_FOR, null);
    }

    /** {@link #cidrs(List)} with an array. */
    public static TrustProxy cidrs(String... networks) {
        return cidrs(List.of(networks));
    }

    /**
     * Trusts proxies whose address is inside one of {@code networks}: CIDR ({@code 10.0.0.0/8},
     * {@code 2001:db8::/32}), single addresses, or the names {@code loopback} (127.0.0.0/8, ::1),
     * {@code linklocal} (169.254.0.0/16, fe80::/10), {@code uniquelocal} and its alias
     * {@code private} (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7).
     *
     * @throws IllegalArgumentException for an empty list or an entry that is none of these, naming it
     */
    public static TrustProxy cidrs(List<String> networks) {
        if (networks == null || networks.isEmpty()) {
            throw new IllegalArgumentException("trustProxy.cidrs: " + networks + " is not allowed; list at least one network"
                    + " (use TrustProxy.none() to trust no proxy)");
        }
        List<Cidr> parsed = new ArrayList<>();
        for (String network : networks) {
            String n = network == null ? "" : network.trim().toLowerCase(Locale.ROOT);
            switch (n) {
                case "loopback" -> parsed.addAll(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")));
                case "linklocal" -> parsed.addAll(List.of(Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10")));
                case "uniquelocal", "private" -> parsed.addAll(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"),
                        Cidr.parse("192.168.0.0/16"), Cidr.parse("fc00::/7")));
                default -> {
                    try {
                        parsed.add(Cidr.parse(network));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("trustProxy.cidrs: '" + network + "' is not allowed; allowed CIDR"
                                + " (10.0.0.0/8, fc00::/7), an address, or loopback, linklocal, uniquelocal, private", e);
                    }
                }
            }
        }
        return new TrustProxy(0, List.copyOf(parsed), ForwardingHeader.X_FORWARDED_FOR, null);
    }

    /** The same trust reading {@code header} instead; default {@code X-Forwarded-For}. */
    public TrustProxy withHeader(ForwardingHeader header) {
        return new TrustProxy(hops, cidrs, Objects.requireNonNull(header, "header"), clientHeader);
    }

    /**
     * The same trust, also accepting a single-value header naming the client (e.g.
     * {@code CF-Connecting-IP}) on connections from a trusted proxy. It wins over the forwarding
     * header when present.
     *
     * @throws IllegalStateException on {@link #none()}: such a header could only come from the client itself
     */
    public TrustProxy withClientHeader(String headerName) {
        if (!trustsAnyone()) {
            throw new IllegalStateException("trustProxy.clientHeader: needs a trusted proxy (hops or cidrs); with none,"
                    + " the header would come from the client itself");
        }
        String name = headerName == null ? "" : headerName.trim();
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
            throw new IllegalArgumentException("trustProxy.clientHeader: '" + headerName + "' is not allowed; must be a header name");
        }
        return new TrustProxy(hops, cidrs, header, name);
    }

    /** Whether any proxy is trusted. */
    public boolean trustsAnyone() {
        return hops > 0 || !cidrs.isEmpty();
    }

    /** The forwarding header read. */
    public ForwardingHeader header() {
        return header;
    }

    /** The trusted networks (empty for hop counts and for none). */
    public List<Cidr> cidrs() {
        return cidrs;
    }

    /** The trusted hop count, 0 when trust is by network or none. */
    public int hopCount() {
        return hops;
    }

    /** The client header, or null. */
    public String clientHeader() {
        return clientHeader;
    }

    // ------------------------------------------------------------------ resolving

    /** The client of a JDK {@link com.sun.net.httpserver.HttpServer} exchange. */
    public ClientIdentity resolve(HttpExchange exchange) {
        InetAddress peer = exchange.getRemoteAddress().getAddress();
        if (!trustsAnyone()) {
            return new ClientIdentity(peer, ClientIdentity.Source.SOCKET);
        }
        return resolve(peer, name -> exchange.getRequestHeaders().get(name));
    }

    /**
     * The client of a request in any framework.
     *
     * @param peer the TCP peer's address
     * @param headers the values of a request header by name, each header line one value, in order;
     *     null or empty when absent (names are given as {@code X-Forwarded-For}, {@code Forwarded}
     *     and the client header; look them up case-insensitively)
     */
    public ClientIdentity resolve(InetAddress peer, Function<String, List<String>> headers) {
        Objects.requireNonNull(peer, "peer");
        if (!trustsAnyone() || !trusts(0, peer)) {
            return new ClientIdentity(peer, ClientIdentity.Source.SOCKET);
        }
        if (clientHeader != null) {
            List<String> values = headers.apply(clientHeader);
            if (values != null && !values.isEmpty()) {
                InetAddress client = values.size() == 1 ? IpAddresses.parse(values.get(0)) : null;
                return client == null ? new ClientIdentity(peer, ClientIdentity.Source.SOCKET_MALFORMED_HEADER)
                        : new ClientIdentity(client, ClientIdentity.Source.CLIENT_HEADER);
            }
        }
        List<String> values = headers.apply(header.headerName());
        if (values == null || values.isEmpty()) {
            return new ClientIdentity(peer, ClientIdentity.Source.SOCKET); // a trusted proxy's own request
        }
        List<String> chain = header == ForwardingHeader.FORWARDED ? forwardedFor(values) : xForwardedFor(values);
        if (chain == null || chain.isEmpty()) {
            return new ClientIdentity(peer, ClientIdentity.Source.SOCKET_MALFORMED_HEADER);
        }
        int size = chain.size();
        for (int hop = 1; hop <= size; hop++) {
            InetAddress address = IpAddresses.parse(chain.get(size - hop));
            if (address == null) {
                return new ClientIdentity(peer, ClientIdentity.Source.SOCKET_MALFORMED_HEADER);
            }
            if (hop == size || !trusts(hop, address)) {
                return new ClientIdentity(address, ClientIdentity.Source.FORWARDED);
            }
        }
        return new ClientIdentity(peer, ClientIdentity.Source.SOCKET); // not reached: the last entry returns above
    }

    /** Whether the address at {@code hop} (0 = the TCP peer) is a trusted proxy. */
    private boolean trusts(int hop, InetAddress address) {
        if (hops > 0) {
            return hop < hops;
        }
        for (Cidr cidr : cidrs) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The entries of every {@code X-Forwarded-For} line, left to right, at most the rightmost {@link #MAX_ENTRIES}. */
    static List<String> xForwardedFor(List<String> lines) {
        List<String> entries = new ArrayList<>();
        for (String line : lines) {
            if (line == null) {
                continue;
            }
            int start = 0;
            for (int i = 0; i <= line.length(); i++) {
                if (i == line.length() || line.charAt(i) == ',') {
                    entries.add(line.substring(start, i).trim());
                    start = i + 1;
                }
            }
        }
        return rightmost(entries);
    }

    /**
     * The {@code for=} node of every element of every RFC 7239 {@code Forwarded} line, left to
     * right (null for an element without one); null when the syntax is broken (an unclosed quote).
     */
    static List<String> forwardedFor(List<String> lines) {
        List<String> nodes = new ArrayList<>();
        for (String line : lines) {
            if (line == null) {
                continue;
            }
            String node = null;
            StringBuilder name = new StringBuilder();
            StringBuilder value = new StringBuilder();
            boolean inValue = false;
            boolean quoted = false;
            int n = line.length();
            for (int i = 0; i <= n; i++) {
                char c = i == n ? ',' : line.charAt(i);
                if (quoted) {
                    if (i == n) {
                        return null; // unclosed quoted-string
                    }
                    if (c == '\\' && i + 1 < n) {
                        value.append(line.charAt(++i));
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        value.append(c);
                    }
                    continue;
                }
                if (c == '"' && inValue) {
                    quoted = true;
                } else if (c == '=' && !inValue) {
                    inValue = true;
                } else if (c == ';' || c == ',') {
                    if (name.toString().trim().equalsIgnoreCase("for")) {
                        node = value.toString().trim();
                    }
                    name.setLength(0);
                    value.setLength(0);
                    inValue = false;
                    if (c == ',') {
                        nodes.add(node);
                        node = null;
                    }
                } else if (inValue) {
                    value.append(c);
                } else {
                    name.append(c);
                }
            }
        }
        return rightmost(nodes);
    }

    private static List<String> rightmost(List<String> entries) {
        return entries.size() <= MAX_ENTRIES ? entries
                : Collections.unmodifiableList(entries.subList(entries.size() - MAX_ENTRIES, entries.size()));
    }

    @Override
    public String toString() {
        if (!trustsAnyone()) {
            return "TrustProxy[none]";
        }
        return "TrustProxy[" + (hops > 0 ? hops + " hops" : cidrs.toString()) + ", " + header.headerName()
                + (clientHeader == null ? "" : ", " + clientHeader) + "]";
    }
}
