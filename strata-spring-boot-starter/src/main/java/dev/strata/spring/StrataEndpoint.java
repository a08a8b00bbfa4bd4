package dev.strata.spring;

import dev.strata.application.Health.DependencyHealth;
import dev.strata.application.Strata;
import dev.strata.diagnosis.Diagnoser;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolStats;
import dev.strata.ratelimit.RateLimiter;
import dev.strata.resilience.CircuitBreaker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code /actuator/strata}: the runtime's state, each dependency (breaker, pool, bulkhead, retry
 * budget, last fault), every breaker, pool and rate limiter. {@code /actuator/strata/diagnosis}:
 * the diagnosis JSON (the same document as the shop's {@code GET /strata/diagnosis}): which layer
 * broke, cause first. Read-only; nothing is created by reading. Expose it with
 * {@code management.endpoints.web.exposure.include=health,strata}.
 */
@Endpoint(id = "strata")
public class StrataEndpoint {

    private final Strata strata;
    private final StrataLifecycle lifecycle;

    /** Reads {@code strata}; the diagnosis comes from the diagnoser {@code lifecycle} started. */
    public StrataEndpoint(Strata strata, StrataLifecycle lifecycle) {
        this.strata = strata;
        this.lifecycle = lifecycle;
    }

    /** The overview. */
    @ReadOperation
    public Map<String, Object> overview() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", strata.state().name());
        json.put("inFlight", strata.inFlight());
        json.put("live", strata.health().live().status());
        Map<String, Object> dependencies = new LinkedHashMap<>();
        for (DependencyHealth d : strata.health().dependencies()) {
            Map<String, Object> one = StrataHealth.describe(d);
            strata.dependency(d.name()).httpBaseUrl().ifPresent(url -> one.put("baseUrl", url.toString()));
            one.put("required", strata.dependency(d.name()).required());
            dependencies.put(d.name(), one);
        }
        json.put("dependencies", dependencies);
        Map<String, Object> breakers = new LinkedHashMap<>();
        for (CircuitBreaker b : strata.breakers()) {
            CircuitBreaker.Metrics m = b.metrics();
            breakers.put(b.name(), Map.of("state", m.state().name(), "failureRate", Double.isNaN(m.failureRate()) ? -1 : m.failureRate(),
                    "bufferedCalls", m.bufferedCalls(), "failedCalls", m.failedCalls()));
        }
        json.put("breakers", breakers);
        Map<String, Object> pools = new LinkedHashMap<>();
        for (Pool<?> p : strata.pools()) {
            PoolStats s = p.stats();
            pools.put(p.name(), Map.of("max", s.maxSize(), "total", s.total(), "active", s.active(), "idle", s.idle(),
                    "waiting", s.waiting(), "timeouts", s.timeouts()));
        }
        json.put("pools", pools);
        List<String> limiters = strata.limiters().stream().map(RateLimiter::name).toList();
        json.put("limiters", limiters);
        return json;
    }

    /** {@code diagnosis}: the diagnosis JSON; 404 for any other name, 503 before the runtime started. */
    @ReadOperation(produces = "application/json")
    public WebEndpointResponse<String> part(@Selector String part) {
        if (!part.equals("diagnosis")) {
            return new WebEndpointResponse<>("{\"error\":\"unknown part '" + part + "'; allowed: diagnosis\"}",
                    WebEndpointResponse.STATUS_NOT_FOUND);
        }
        Diagnoser diagnoser = lifecycle.diagnoser().orElse(null);
        if (diagnoser == null) {
            return new WebEndpointResponse<>("{\"error\":\"the Strata runtime has not started\"}",
                    WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE);
        }
        return new WebEndpointResponse<>(diagnoser.diagnose().toJson(), WebEndpointResponse.STATUS_OK);
    }
}
