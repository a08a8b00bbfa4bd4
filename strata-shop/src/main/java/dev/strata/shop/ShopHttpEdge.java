package dev.strata.shop;

import dev.strata.call.Criticality;
import dev.strata.call.Deadline;
import dev.strata.config.HttpEdgeConfig;
import dev.strata.config.OverloadConfig;
import dev.strata.http.LoadShedding;
import dev.strata.resilience.AdaptiveLimit;
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
 * default), answered with 429, {@code Retry-After} and the draft's {@code RateLimit} fields; and,
 * with {@code http.load_shedding}, criticality-aware shedding: {@code /checkout} is critical,
 * {@code /recommendations} sheddable, refused first with 503 + {@code Retry-After}.
 */
final class ShopHttpEdge {

    /** The limited route, critical under load shedding. */
    static final String CHECKOUT = "/checkout";
    /** The sheddable route. */
    static final String RECOMMENDATIONS = "/recommendations";

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
        OverloadConfig.loadShedding(shop.configRoot(), "shop-edge").ifPresent(shedding -> {
            shop.routes().filter(CHECKOUT, shed(shedding, Criticality.CRITICAL));
            shop.routes().filter(RECOMMENDATIONS, shed(shedding, Criticality.SHEDDABLE));
        });
    }

    /**
     * A route filter that admits a request by its criticality (its {@value Criticality#HEADER}
     * header, else the route's) under the edge's adaptive limit, answering 503 with
     * {@code Retry-After} when it is shed, and runs the handler with that criticality current so
     * the dependency pipelines it calls shed by it too.
     */
    static Routes.Filter shed(LoadShedding shedding, Criticality route) {
        return (request, next) -> {
            List<String> sent = request.headers().get(Criticality.HEADER.toLowerCase(Locale.ROOT));
            Criticality c = LoadShedding.criticalityOf(sent == null || sent.isEmpty() ? null : sent.get(0), route);
            long start = shedding.tryAdmit(c);
            if (start == AdaptiveLimit.NOT_ADMITTED) {
                return Response.json(503, shedding.refusalJson(c))
                        .withHeader("Retry-After", Long.toString(shedding.retryAfterSeconds()));
            }
            int status = 500;
            try (Deadline.Scope scope = c.enter()) {
                Response response = next.handle(request);
                status = response.status();
                return response;
            } finally {
                shedding.completed(c, start, status);
            }
        };
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
