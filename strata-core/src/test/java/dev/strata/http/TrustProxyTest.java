package dev.strata.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.strata.http.ClientIdentity.Source;
import dev.strata.http.TrustProxy.ForwardingHeader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TrustProxyTest {

    private static final InetAddress LB = ip("10.0.0.5");
    private static final InetAddress INTERNET = ip("198.51.100.20");

    // ------------------------------------------------------------------ the seed's attack, on a real server

    @Test
    void aClientsOwnXForwardedForChangesNothingWithoutTrust() throws Exception {
        assertThat(overHttp(TrustProxy.none(), "X-Forwarded-For", "1.2.3.4")).isEqualTo("127.0.0.1 (socket)");
        // trusting some other network does not make the loopback peer a proxy either
        assertThat(overHttp(TrustProxy.cidrs("10.0.0.0/8"), "X-Forwarded-For", "1.2.3.4")).isEqualTo("127.0.0.1 (socket)");
    }

    @Test
    void behindATrustedProxyTheAddressItAppendedWinsOverWhatTheClientWrote() throws Exception {
        // the client sent "X-Forwarded-For: 1.2.3.4"; the proxy on loopback appended the client's real address
        assertThat(overHttp(TrustProxy.cidrs("loopback"), "X-Forwarded-For", "1.2.3.4, 203.0.113.9"))
                .isEqualTo("203.0.113.9 (forwarded)");
        assertThat(overHttp(TrustProxy.hops(1), "X-Forwarded-For", "1.2.3.4, 203.0.113.9"))
                .isEqualTo("203.0.113.9 (forwarded)");
    }

    @Test
    void theForwardedHeaderWorksOverHttpToo() throws Exception {
        assertThat(overHttp(TrustProxy.cidrs("loopback").withHeader(ForwardingHeader.FORWARDED), "Forwarded",
                "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https")).isEqualTo("2001:db8:cafe:0:0:0:0:17 (forwarded)");
    }

    // ------------------------------------------------------------------ chains

    @Test
    void aChainOfTrustedProxiesIsWalkedFromTheRight() {
        TrustProxy trust = TrustProxy.cidrs("private");
        assertThat(trust.resolve(LB, xff("203.0.113.9, 10.0.0.2, 10.0.0.3"))).isEqualTo(forwarded("203.0.113.9"));
        assertThat(trust.resolve(LB, xff("6.6.6.6, 203.0.113.9, 10.0.0.3"))).isEqualTo(forwarded("203.0.113.9"));
        // every hop trusted: the leftmost is the best we know
        assertThat(trust.resolve(LB, xff("10.1.1.1, 10.0.0.3"))).isEqualTo(forwarded("10.1.1.1"));
    }

    @Test
    void hopCountsTrustExactlyThatManyHops() {
        assertThat(TrustProxy.hops(1).resolve(LB, xff("203.0.113.9, 10.0.0.2, 10.0.0.3"))).isEqualTo(forwarded("10.0.0.3"));
        assertThat(TrustProxy.hops(2).resolve(LB, xff("203.0.113.9, 10.0.0.2, 10.0.0.3"))).isEqualTo(forwarded("10.0.0.2"));
        assertThat(TrustProxy.hops(3).resolve(LB, xff("203.0.113.9, 10.0.0.2, 10.0.0.3"))).isEqualTo(forwarded("203.0.113.9"));
        assertThat(TrustProxy.hops(5).resolve(LB, xff("203.0.113.9, 10.0.0.3"))).isEqualTo(forwarded("203.0.113.9"));
    }

    @Test
    void severalHeaderLinesAreOneListInOrder() {
        Function<String, List<String>> headers = name -> name.equals("X-Forwarded-For")
                ? List.of("6.6.6.6, 203.0.113.9", "10.0.0.2") : null;
        assertThat(TrustProxy.cidrs("private").resolve(LB, headers)).isEqualTo(forwarded("203.0.113.9"));
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItForwards() {
        assertThat(TrustProxy.cidrs("private").resolve(INTERNET, xff("10.0.0.2"))).isEqualTo(socket(INTERNET));
        assertThat(TrustProxy.cidrs("private").resolve(LB, name -> null)).isEqualTo(socket(LB)); // the proxy's own request
    }

    @Test
    void forwardedElementsAreParsedWithTheirParametersAndQuotes() {
        TrustProxy trust = TrustProxy.cidrs("private").withHeader(ForwardingHeader.FORWARDED);
        assertThat(trust.resolve(LB, header("Forwarded", "For=\"203.0.113.9:8443\";proto=https;by=10.0.0.5, for=10.0.0.7")))
                .isEqualTo(forwarded("203.0.113.9"));
        assertThat(trust.resolve(LB, header("Forwarded", "proto=http;for=198.51.100.3"))).isEqualTo(forwarded("198.51.100.3"));
        assertThat(TrustProxy.forwardedFor(List.of("for=\"a,b\";by=x, for=c"))).containsExactly("a,b", "c");
    }

    // ------------------------------------------------------------------ IPv6

    @Test
    void ipv6PeersChainsAndNetworks() {
        InetAddress proxy = ip("fd00::10");
        TrustProxy trust = TrustProxy.cidrs("uniquelocal", "2001:db8:ffff::/48");
        assertThat(trust.resolve(proxy, xff("2001:db8::1, 2001:db8:ffff::2"))).isEqualTo(forwarded("2001:db8::1"));
        assertThat(trust.resolve(proxy, xff("[2001:db8::1]:443"))).isEqualTo(forwarded("2001:db8::1"));
        assertThat(trust.resolve(ip("::1"), xff("2001:db8::1"))).isEqualTo(socket(ip("::1"))); // loopback not trusted here
        assertThat(TrustProxy.cidrs("loopback").resolve(ip("::1"), xff("2001:db8::1"))).isEqualTo(forwarded("2001:db8::1"));
        assertThat(trust.resolve(proxy, xff("::ffff:203.0.113.9"))).isEqualTo(forwarded("203.0.113.9")); // IPv4-mapped
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("2001:db8:1::1"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("2001:db9::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("::1"))).isFalse(); // families never mix
    }

    // ------------------------------------------------------------------ garbage

    @Test
    void garbageWhereTheClientShouldBeFallsBackToThePeerAndNeverThrows() {
        TrustProxy trust = TrustProxy.cidrs("private");
        for (String garbage : List.of("not-an-ip", "evil.example.com", "1.2.3.256", "01.2.3.4", "1.2.3", "1.2.3.4.5", "",
                " , ", "1.2.3.4:99999", "1.2.3.4:", "[::1", "[::1]x", "::g", "fe80::1%eth0", "unknown", "_hidden",
                "\u0000\u0001", "1.2.3.4\r\nX: y", "x".repeat(10_000), "0x7f.0.0.1", "2130706433")) {
            assertThat(trust.resolve(LB, xff(garbage))).as(garbage).isEqualTo(malformed(LB));
        }
        TrustProxy forwarded = trust.withHeader(ForwardingHeader.FORWARDED);
        for (String garbage : List.of("for=\"unclosed", "for=unknown", "for=_gazonk", "by=10.0.0.1", "for", "=;=,=", ";;;,,,",
                "for=\"[2001:db8::1\"", "for=" + "9".repeat(5000))) {
            assertThat(forwarded.resolve(LB, header("Forwarded", garbage))).as(garbage).isEqualTo(malformed(LB));
        }
    }

    @Test
    void headerTextThatIsNoAddressLiteralNeverReachesTheNameService() throws Exception {
        try {
            InetAddress.getByName("strata-resolver-canary.invalid."); // proves the counting resolver is installed
        } catch (java.net.UnknownHostException expected) {
            // .invalid never resolves; the lookup is what counts
        }
        assertThat(CountingResolverProvider.LOOKUPS).contains("strata-resolver-canary.invalid.");
        for (String text : List.of(".::", ".1:2:3", "-::1", "g::1", "x:1", ".::1")) {
            CountingResolverProvider.LOOKUPS.clear();
            assertThat(TrustProxy.hops(1).resolve(LB, xff(text))).as(text).isEqualTo(malformed(LB));
            assertThat(IpAddresses.parse(text)).as(text).isNull();
            assertThat(CountingResolverProvider.LOOKUPS).as("name service lookups for " + text).isEmpty();
        }
    }

    @Test
    void anIpv6ClientRotatingAddressesInsideItsSlash64KeepsOneKey() {
        ClientIdentity a = TrustProxy.hops(1).resolve(LB, xff("2001:db8:1:2::1"));
        ClientIdentity b = TrustProxy.hops(1).resolve(LB, xff("2001:db8:1:2:ffff:eeee:dddd:cccc"));
        ClientIdentity other = TrustProxy.hops(1).resolve(LB, xff("2001:db8:1:3::1"));
        assertThat(a.key()).isEqualTo(b.key()).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(other.key()).isNotEqualTo(a.key());
        assertThat(a.key(128)).isEqualTo("2001:db8:1:2:0:0:0:1");
        assertThat(a.key(48)).isEqualTo(other.key(48)).isEqualTo("2001:db8:1:0:0:0:0:0/48");
        assertThat(TrustProxy.hops(1).resolve(LB, xff("203.0.113.9")).key()).isEqualTo("203.0.113.9"); // IPv4: the address
        assertThatThrownBy(() -> a.key(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ipv6_prefix: 0 is not allowed; allowed 16..128");
    }

    @Test
    void garbageLeftOfTheClientIsNeverRead() {
        assertThat(TrustProxy.cidrs("private").resolve(LB, xff("garbage, \"evil\", 203.0.113.9"))).isEqualTo(forwarded("203.0.113.9"));
        StringBuilder flood = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            flood.append("6.6.6.").append(i % 250).append(", ");
        }
        assertThat(TrustProxy.cidrs("private").resolve(LB, xff(flood + "203.0.113.9, 10.0.0.2"))).isEqualTo(forwarded("203.0.113.9"));
    }

    // ------------------------------------------------------------------ single-value client header

    @Test
    void aClientHeaderCountsOnlyOnAConnectionFromATrustedProxy() {
        TrustProxy trust = TrustProxy.cidrs("private").withClientHeader("CF-Connecting-IP");
        Function<String, List<String>> headers = headers(Map.of("CF-Connecting-IP", List.of("203.0.113.9"),
                "X-Forwarded-For", List.of("6.6.6.6")));
        assertThat(trust.resolve(LB, headers)).isEqualTo(new ClientIdentity(ip("203.0.113.9"), Source.CLIENT_HEADER));
        assertThat(trust.resolve(INTERNET, headers)).isEqualTo(socket(INTERNET)); // the client wrote it itself
        assertThat(trust.resolve(LB, header("CF-Connecting-IP", "garbage"))).isEqualTo(malformed(LB));
        assertThat(trust.resolve(LB, headers(Map.of("CF-Connecting-IP", List.of("1.1.1.1", "2.2.2.2"))))).isEqualTo(malformed(LB));
        assertThat(trust.resolve(LB, xff("203.0.113.9"))).isEqualTo(forwarded("203.0.113.9")); // absent: the chain decides
        assertThatThrownBy(() -> TrustProxy.none().withClientHeader("CF-Connecting-IP")).isInstanceOf(IllegalStateException.class);
    }

    // ------------------------------------------------------------------ configuration

    @Test
    void badTrustConfigurationNamesTheFieldAndValue() {
        assertThatThrownBy(() -> TrustProxy.hops(0)).hasMessageStartingWith("trustProxy.hops: 0 is out of range; allowed 1..32");
        assertThatThrownBy(() -> TrustProxy.cidrs("10.0.0.0/33")).hasMessageStartingWith("trustProxy.cidrs: '10.0.0.0/33'");
        assertThatThrownBy(() -> TrustProxy.cidrs("internal")).hasMessageStartingWith("trustProxy.cidrs: 'internal'");
        assertThatThrownBy(() -> TrustProxy.cidrs(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/-1")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Cidr.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
        assertThat(Cidr.parse("172.16.0.0/12").contains(ip("172.31.255.255"))).isTrue();
        assertThat(Cidr.parse("172.16.0.0/12").contains(ip("172.32.0.0"))).isFalse();
        assertThat(Cidr.parse("203.0.113.9").contains(ip("203.0.113.9"))).isTrue();
        assertThat(TrustProxy.cidrs("loopback", "private").toString()).contains("127.0.0.0/8", "fc00:0:0:0:0:0:0:0/7");
    }

    // ------------------------------------------------------------------ helpers

    /** Sends a request with one header to a real JDK HttpServer and returns the identity it resolved. */
    private static String overHttp(TrustProxy trust, String header, String value) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicReference<String> seen = new AtomicReference<>();
        server.createContext("/", exchange -> {
            try (exchange) {
                seen.set(trust.resolve(exchange).toString());
                byte[] body = seen.get().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).header(header, value).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.body()).isEqualTo(seen.get());
            return response.body();
        } finally {
            server.stop(0);
        }
    }

    private static Function<String, List<String>> xff(String value) {
        return header("X-Forwarded-For", value);
    }

    private static Function<String, List<String>> header(String name, String value) {
        return headers(Map.of(name, List.of(value)));
    }

    private static Function<String, List<String>> headers(Map<String, List<String>> values) {
        Map<String, List<String>> insensitive = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        insensitive.putAll(values);
        return insensitive::get;
    }

    private static ClientIdentity forwarded(String address) {
        return new ClientIdentity(ip(address), Source.FORWARDED);
    }

    private static ClientIdentity socket(InetAddress address) {
        return new ClientIdentity(address, Source.SOCKET);
    }

    private static ClientIdentity malformed(InetAddress address) {
        return new ClientIdentity(address, Source.SOCKET_MALFORMED_HEADER);
    }

    private static InetAddress ip(String literal) {
        InetAddress address = IpAddresses.parse(literal);
        if (address == null) {
            throw new IllegalArgumentException(literal);
        }
        return address;
    }
}
