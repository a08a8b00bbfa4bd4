package dev.strata.spring;

import dev.strata.application.Dependency;
import dev.strata.application.Health.DependencyHealth;
import dev.strata.application.ReloadReport;
import dev.strata.config.ConfigProblem;
import dev.strata.config.ConfigReloader;
import dev.strata.resilience.Pipeline;
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
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code /actuator/strata}: the runtime's state, each dependency (breaker, pool, bulkhead, retry
 * budget, last fault), every breaker, pool and rate limiter. {@code /actuator/strata/diagnosis}:
 * the diagnosis JSON (the same document as the shop's {@code GET /strata/diagnosis}): which layer
 * broke, cause first. Reading creates nothing. {@code POST /actuator/strata/reload} reads the
 * configuration again and reloads the runtime live ({@link StrataReloader}): 200 with what changed,
 * or 422 with what was refused or what is wrong with the configuration, nothing applied. Expose it
 * with {@code management.endpoints.web.exposure.include=health,strata}; the write operation needs
 * {@code management.endpoint.strata.access=unrestricted} where read-only access is the default.
 */
@Endpoint(id = "strata")
public class StrataEndpoint {

    private final Strata strata;
    private final StrataLifecycle lifecycle;
    private final StrataReloader reloader;

    /**
     * Reads {@code strata}; the diagnosis comes from the diagnoser {@code lifecycle} started;
     * {@code reloader} answers {@code POST /actuator/strata/reload}.
     */
    public StrataEndpoint(Strata strata, StrataLifecycle lifecycle, StrataReloader reloader) {
        this.strata = strata;
        this.lifecycle = lifecycle;
        this.reloader = reloader;
    }

    /**
     * {@code POST /actuator/strata/reload}: reads {@code strata.config-file} and the
     * {@code strata.*} keys again and reloads; 200 when applied (also when nothing changed), 422
     * when refused or invalid (nothing applied), 404 for any other name.
     */
    @WriteOperation
    public WebEndpointResponse<Map<String, Object>> write(@Selector String action) {
        if (!action.equals("reload")) {
            return new WebEndpointResponse<>(Map.of("error", "unknown operation '" + action + "'; allowed: reload"),
                    WebEndpointResponse.STATUS_NOT_FOUND);
        }
        ConfigReloader.Outcome outcome = reloader.reload();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("applied", outcome.applied());
        json.put("summary", outcome.summary());
        json.put("changes", outcome.report() == null ? List.of()
                : outcome.report().changes().stream().map(ReloadReport.Change::toString).toList());
        json.put("refused", outcome.report() == null ? List.of()
                : outcome.report().refusals().stream().map(ReloadReport.Refusal::message).toList());
        json.put("problems", outcome.problems().stream().map(ConfigProblem::toString).toList());
        json.put("lines", outcome.lines());
        return new WebEndpointResponse<>(json, outcome.applied() ? WebEndpointResponse.STATUS_OK : 422);
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
        Map<String, Object> policies = new LinkedHashMap<>();
        strata.dependencies().forEach((name, d) -> policies.put(name, policies(d)));
        json.put("policies", policies);
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

    /** The policy settings in force now (what a reload changes). */
    private static Map<String, Object> policies(Dependency d) {
        Map<String, Object> p = new LinkedHashMap<>();
        Pipeline.Tuning t = d.pipeline().tuning();
        p.put("deadline", t.deadline() == null ? null : t.deadline().toString());
        p.put("timeout", t.timeout() == null ? null : t.timeout().duration().toString());
        p.put("retryAttempts", t.retry() == null ? null : t.retry().maxAttempts());
        d.circuitBreaker().ifPresent(b -> {
            CircuitBreaker.Settings s = b.settings();
            p.put("breakerFailureRate", s.failureRate());
            p.put("breakerFailureThreshold", s.failureThreshold());
            p.put("breakerOpenWait", s.openWait().toString());
        });
        d.bulkhead().ifPresent(b -> p.put("bulkheadMaxConcurrent", b.maxConcurrentCalls()));
        d.retryBudget().ifPresent(b -> p.put("retryBudgetPercent", b.retryPercent()));
        return p;
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
