package dev.strata.config;

import dev.strata.http.ClientIdentity;
import dev.strata.http.HttpRateLimit;
import dev.strata.http.TrustProxy;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code http:} section: the server side of the HTTP edge ({@code dev.strata.http}). It says
 * which proxies in front of the service are trusted to name the client ({@code
 * http.trust_proxy}, trusting none by default) and the per-client request limit the service
 * applies to the routes it chooses ({@code http.rate_limit}, off by default). A service reads
 * them with {@link #trustProxy(ConfigValues)} and {@link #rateLimit(ConfigValues, String)} from
 * {@link LoadedConfig#root()}; the loader checks them with everything else, with file and line.
 *
 * <pre>{@code
 * http:
 *   trust_proxy:
 *     cidrs: [loopback, private]      # or hops: 1; default: no proxy is trusted
 *     header: x_forwarded_for         # or forwarded (RFC 7239)
 *   rate_limit:
 *     limit: 20                       # per client and window; 0 = off
 *     window: 1m
 * }</pre>
 */
public final class HttpEdgeConfig implements ConfigExtension {

    /** One trusted network as written: a CIDR, an address, or a well-known range's name. */
    private static final ValueType<String> NETWORK = ValueType.of("network", text -> {
        TrustProxy.cidrs(text); // throws IllegalArgumentException naming the entry and the allowed forms
        return text.trim();
    });

    /** For {@link java.util.ServiceLoader}, which finds this extension; see {@link ConfigExtension}. */
    public HttpEdgeConfig() {
    }

    @Override
    public void extend(ConfigSchema schema) {
        schema.root().section("http", "The HTTP edge on the server side (dev.strata.http)", http -> http
                .section("trust_proxy", "Which proxies may name the client (X-Forwarded-For / Forwarded); none by default", t -> t
                        .key(ConfigKey.of("hops", ValueType.INTEGER, 0, 0, TrustProxy.MAX_HOPS,
                                "Trust the nearest N hops as proxies (0 = trust by cidrs, or trust none)"))
                        .key(ConfigKey.of("cidrs", ValueType.listOf(NETWORK), List.of(),
                                "Trusted proxy networks: CIDRs, addresses, or loopback, linklocal, uniquelocal, private"))
                        .key(ConfigKey.of("header", ValueType.oneOf(TrustProxy.ForwardingHeader.class),
                                TrustProxy.ForwardingHeader.X_FORWARDED_FOR, "The forwarding header read from trusted proxies"))
                        .key(ConfigKey.of("client_header", ValueType.STRING, "",
                                "A single-value client header set by a trusted edge, e.g. CF-Connecting-IP (empty = none)")))
                .section("rate_limit", "Per-client request limit on the routes the service limits (the shop: POST /checkout)", r -> r
                        .key(ConfigKey.of("limit", ValueType.INTEGER, 0, 0, Integer.MAX_VALUE,
                                "Requests per client and window (0 = no limit)"))
                        .key(ConfigKey.of("window", ValueType.DURATION, Duration.ofMinutes(1), Duration.ofMillis(1), Duration.ofDays(1),
                                "The window the limit applies to"))
                        .key(ConfigKey.of("algorithm", ValueType.oneOf(RateLimitAlgorithm.class), RateLimitAlgorithm.TOKEN_BUCKET,
                                "How admissions are decided"))
                        .key(ConfigKey.of("decision_timeout", ValueType.DURATION, Duration.ofMillis(50), Duration.ofMillis(1),
                                Duration.ofSeconds(10), "Longest wait for a limiter that is not local"))
                        .key(ConfigKey.of("fail_open", ValueType.BOOLEAN, true,
                                "Let a request through when the limiter cannot decide in time (false: answer 503)"))
                        .key(ConfigKey.of("ipv6_prefix", ValueType.INTEGER, ClientIdentity.DEFAULT_IPV6_PREFIX, 16, 128,
                                "IPv6 clients are keyed by this many leading bits (64: one subscriber's network; 128: each address)"))));
        schema.onRuntime((root, builder) -> trustProxy(root)); // a contradiction fails the load, located
    }

    /**
     * The trust the file describes.
     *
     * @throws IllegalArgumentException when both hops and cidrs are set, or a client header is
     *     set without any trusted proxy, naming the keys
     */
    public static TrustProxy trustProxy(ConfigValues root) {
        int hops = root.get("http.trust_proxy.hops", Integer.class);
        @SuppressWarnings("unchecked")
        List<String> cidrs = root.get("http.trust_proxy.cidrs", List.class);
        if (hops > 0 && !cidrs.isEmpty()) {
            throw new IllegalArgumentException("http.trust_proxy: hops " + hops + " and cidrs " + cidrs
                    + " are both set; allowed one of them");
        }
        TrustProxy trust = hops > 0 ? TrustProxy.hops(hops) : cidrs.isEmpty() ? TrustProxy.none() : TrustProxy.cidrs(cidrs);
        trust = trust.trustsAnyone()
                ? trust.withHeader(root.get("http.trust_proxy.header", TrustProxy.ForwardingHeader.class)) : trust;
        String clientHeader = root.get("http.trust_proxy.client_header", String.class).trim();
        if (!clientHeader.isEmpty()) {
            if (!trust.trustsAnyone()) {
                throw new IllegalArgumentException("http.trust_proxy.client_header: '" + clientHeader
                        + "' needs a trusted proxy; set http.trust_proxy.hops or http.trust_proxy.cidrs");
            }
            trust = trust.withClientHeader(clientHeader);
        }
        return trust;
    }

    /** The per-client limit the file describes, with a local limiter named {@code name}; empty when off. */
    public static Optional<HttpRateLimit> rateLimit(ConfigValues root, String name) {
        int limit = root.get("http.rate_limit.limit", Integer.class);
        if (limit == 0) {
            return Optional.empty();
        }
        LocalRateLimiter limiter = LocalRateLimiter.builder(name)
                .algorithm(root.get("http.rate_limit.algorithm", RateLimitAlgorithm.class))
                .limit(limit, root.get("http.rate_limit.window", Duration.class))
                .build();
        return Optional.of(HttpRateLimit.builder(limiter)
                .decisionTimeout(root.get("http.rate_limit.decision_timeout", Duration.class))
                .failOpen(root.get("http.rate_limit.fail_open", Boolean.class))
                .ipv6Prefix(root.get("http.rate_limit.ipv6_prefix", Integer.class))
                .build());
    }
}
