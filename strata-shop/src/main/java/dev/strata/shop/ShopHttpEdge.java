package dev.strata.shop;

import dev.strata.config.HttpEdgeConfig;
import dev.strata.http.ClientIdentity;
import dev.strata.http.HttpRateLimit;
import dev.strata.http.TrustProxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The shop's server-side HTTP edge (issue 13): a per-client limit on {@code /checkout}, the
 * client found by the {@code http.trust_proxy} settings of its file (no proxy trusted by
 * default), answered with 429, {@code Retry-After} and the draft's {@code RateLimit} fields.
 */
final class ShopHttpEdge {

    /** The limited route. */
    static final String CHECKOUT = "/checkout";

    private ShopHttpEdge() {
    }

    /**
     * Reads {@code http.trust_proxy} and {@code http.rate_limit} from the shop's file and, when a
     * limit is set, limits {@code /checkout} per client.
     */
    static void install(ShopContext shop) {
        TrustProxy trust = HttpEdgeConfig.trustProxy(shop.configRoot());
        Optional<HttpRateLimit> limit = HttpEdgeConfig.rateLimit(shop.configRoot(), "checkout");
        limit.ifPresent(l -> shop.routes().filter(CHECKOUT, limitPerClient(l, trust)));
    }

    /**
     * A route filter that admits a request only when its client's budget allows, and adds the
     * {@code RateLimit-Policy} / {@code RateLimit} fields to every answer it lets through.
     */
    static Routes.Filter limitPerClient(HttpRateLimit limit, TrustProxy trust) {
        return (request, next) -> {
            ClientIdentity client = trust.resolve(request.remote().getAddress(), ShopHttpEdge.headersOf(request));
            Map<String, String> fields = new LinkedHashMap<>(4);
            HttpRateLimit.Outcome outcome = limit.check(client.key(), fields::put);
            Response response = outcome.admitted() ? next.handle(request)
                    : Response.json(outcome.status(), outcome == HttpRateLimit.Outcome.LIMITED
                            ? "{\"error\":\"too many checkouts from " + client.key() + "\",\"status\":429,\"retry_after_seconds\":"
                                    + fields.get("Retry-After") + "}"
                            : "{\"error\":\"rate limiter unavailable\",\"status\":503}");
            for (Map.Entry<String, String> field : fields.entrySet()) {
                response = response.withHeader(field.getKey(), field.getValue());
            }
            return response;
        };
    }

    private static java.util.function.Function<String, List<String>> headersOf(Request request) {
        return name -> request.headers().get(name.toLowerCase(Locale.ROOT)); // the shop keeps header names in lower case
    }
}
