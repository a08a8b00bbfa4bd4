package dev.strata.http;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.strata.call.Criticality;
import dev.strata.call.Deadline;
import dev.strata.internal.Require;
import dev.strata.resilience.AdaptiveLimit;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Criticality-aware load shedding at the server edge: an {@link AdaptiveLimit} measures how long
 * the service's own handlers take and admits requests by their {@link Criticality}; under
 * overload sheddable requests are refused first, then default ones, and critical ones last. A
 * refused request gets {@code 503 Service Unavailable} with {@code Retry-After} (whole seconds)
 * and a small JSON body, without reaching the handler, so it costs the service almost nothing.
 *
 * <p>A request's criticality is the {@value Criticality#HEADER} header when the caller sent a
 * valid one, else the criticality of the route the filter was made for. While the handler runs,
 * that criticality is {@linkplain Criticality#current() current}, so every pipeline the handler
 * calls through sheds by it too: a sheddable request does not take a critical slot downstream.
 *
 * <p>The handler's duration is the latency sample; a handler that answers 5xx or throws counts as
 * a drop. Thread-safe; share one per server (all routes), so the routes compete for one limit.
 */
public final class LoadShedding {

    private final AdaptiveLimit limit;
    private final long retryAfterSeconds;

    private LoadShedding(AdaptiveLimit limit, Duration retryAfter) {
        this.limit = limit;
        this.retryAfterSeconds = Math.max(1L, (retryAfter.toMillis() + 999) / 1000);
    }

    /**
     * Sheds by {@code limit}, telling refused callers to come back after {@code retryAfter}
     * (1 s..1 h, rounded up to whole seconds).
     */
    public static LoadShedding of(AdaptiveLimit limit, Duration retryAfter) {
        Require.nonNull("limit", limit);
        Require.between("retryAfter", retryAfter, Duration.ofSeconds(1), Duration.ofHours(1));
        return new LoadShedding(limit, retryAfter);
    }

    /** The limit deciding admission. */
    public AdaptiveLimit limit() {
        return limit;
    }

    /** The criticality of a request: its valid header, else the route's. */
    public static Criticality criticalityOf(HttpExchange exchange, Criticality route) {
        return criticalityOf(exchange.getRequestHeaders().getFirst(Criticality.HEADER), route);
    }

    /** The criticality of a request whose {@value Criticality#HEADER} header is {@code header} (may be null). */
    public static Criticality criticalityOf(String header, Criticality route) {
        if (header == null) {
            return route;
        }
        Criticality sent = Criticality.parseOrDefault(header);
        return sent == Criticality.DEFAULT && !header.strip().equalsIgnoreCase("default") ? route : sent;
    }

    /** A filter for one route whose requests are of {@code routeCriticality} unless their header says otherwise. */
    public Filter filter(Criticality routeCriticality) {
        Require.nonNull("routeCriticality", routeCriticality);
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                Criticality c = criticalityOf(exchange, routeCriticality);
                long start = limit.tryAcquire(c);
                if (start == AdaptiveLimit.NOT_ADMITTED) {
                    refuse(exchange, c);
                    return;
                }
                boolean dropped = true;
                try (Deadline.Scope scope = c.enter()) {
                    chain.doFilter(exchange);
                    dropped = exchange.getResponseCode() >= 500;
                } finally {
                    if (dropped) {
                        limit.onDropped(c, start);
                    } else {
                        limit.onSuccess(c, start);
                    }
                }
            }

            @Override
            public String description() {
                return "Strata load shedding (" + routeCriticality.code() + ")";
            }
        };
    }

    /**
     * For servers other than the JDK's: admits a request of criticality {@code c} or returns
     * {@link AdaptiveLimit#NOT_ADMITTED}; an admitted request must be ended with {@link #completed}.
     */
    public long tryAdmit(Criticality c) {
        return limit.tryAcquire(c);
    }

    /** Ends a request {@link #tryAdmit} admitted, with the status it was answered with (5xx counts as a drop). */
    public void completed(Criticality c, long start, int status) {
        if (status >= 500) {
            limit.onDropped(c, start);
        } else {
            limit.onSuccess(c, start);
        }
    }

    /** The {@code Retry-After} value sent with a refusal, in whole seconds. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The JSON body of a refusal of a request of criticality {@code c}. */
    public String refusalJson(Criticality c) {
        return "{\"status\":503,\"error\":\"overloaded\",\"criticality\":\"" + c.code()
                + "\",\"retry_after_seconds\":" + retryAfterSeconds + "}";
    }

    private void refuse(HttpExchange exchange, Criticality c) throws IOException {
        try (exchange) {
            byte[] body = refusalJson(c).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Retry-After", Long.toString(retryAfterSeconds));
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public String toString() {
        return "LoadShedding[" + limit + ", Retry-After " + retryAfterSeconds + "s]";
    }
}
