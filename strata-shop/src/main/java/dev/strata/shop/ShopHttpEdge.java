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
import dev.strata.ratelimit.RateLimitPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The shop's server-side HTTP edge (issue 13): a per-client limit on {@code /checkout}, the
 * client found by the {@code http.trust_proxy} settings of its file (no proxy trusted by
 * default), answered with 429, {@code Retry-After} and the draft's {@code RateLimit} fields; and,
 * with {@code http.load_shedding}, criticality-aware shedding of the routes its {@code routes}
 * lists (the shop's file: {@code /checkout} critical, {@code /recommendations} sheddable, refused
 * first with 503 + {@code Retry-After}).
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
        limit.ifPresent(l -> {
            shop.routes().filter(CHECKOUT, limitPerClient(l, trust));
            shop.announce(describe(l.limiter().policy(), trust));
        });
        OverloadConfig.loadShedding(shop.configRoot(), "shop-edge").ifPresent(shedding -> {
            Map<String, Criticality> routes = OverloadConfig.sheddingRoutes(shop.configRoot());
            routes.forEach((path, criticality) -> shop.routes().filter(path, shed(shedding, criticality)));
            shop.publishEdgeLimit(shedding.limit());
            shop.announce(routes.isEmpty() ? "load shedding is on but http.load_shedding.routes lists no route: nothing is shed"
                    : "load shedding (503 + Retry-After " + shedding.retryAfterSeconds() + "s) on " + describe(routes));
        });
    }

    /**
     * The limit as one client meets it, for the start-up lines: {@code per-client limit on POST
     * /checkout: a burst of 60, then 6 per second (token_bucket, 60 per 10s); clients are told apart
     * by the TCP peer address (no proxy trusted)}.
     */
    static String describe(RateLimitPolicy policy, TrustProxy trust) {
        double perSecond = policy.limit() * 1e9 / policy.window().toNanos();
        String rate = perSecond >= 1 ? number(perSecond) + " per second" : number(perSecond * 60) + " per minute";
        String shape = switch (policy.algorithm()) {
            case TOKEN_BUCKET, GCRA -> "a burst of " + policy.burst() + ", then " + rate;
            default -> policy.limit() + " per " + window(policy.window()) + ", " + rate + " on average";
        };
        String who = trust.trustsAnyone()
                ? "clients are told apart by " + trust + " (X-Forwarded-For and the like read from trusted proxies only)"
                : "clients are told apart by the TCP peer address (no proxy trusted)";
        return "per-client limit on POST " + CHECKOUT + ": " + shape + " (" + policy.algorithm().name().toLowerCase(Locale.ROOT)
                + ", " + policy.limit() + " per " + window(policy.window()) + "); " + who;
    }

    /** {@code /checkout (critical), /recommendations (sheddable)}: the shed routes, for the start-up lines. */
    static String describe(Map<String, Criticality> routes) {
        return String.join(", ", routes.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue().code() + ")").toList());
    }

    /** {@code 6}, {@code 1.5}, {@code 0.33}: at most two decimals, none when whole. */
    private static String number(double d) {
        return new java.math.BigDecimal(d).setScale(2, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }

    /** {@code 10s}, {@code 1m}, {@code 1h}, {@code 250ms}: the window as the file writes it. */
    private static String window(java.time.Duration window) {
        long ms = window.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
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
