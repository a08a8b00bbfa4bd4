package dev.strata.spring;

import dev.strata.application.Health.DependencyHealth;
import dev.strata.application.Health.Probe;
import dev.strata.application.Strata;
import dev.strata.pool.PoolStats;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;

/** Turns Strata's health answers into Spring Boot {@link Health}. */
final class StrataHealth {

    private StrataHealth() {
    }

    static Health probe(Probe probe) {
        Health.Builder health = probe.up() ? Health.up() : Health.down();
        health.withDetail("status", probe.status());
        if (!probe.reasons().isEmpty()) {
            health.withDetail("reasons", probe.reasons());
        }
        return health.build();
    }

    static Health dependencies(Strata strata) {
        Health.Builder health = Health.up().withDetail("state", strata.state().name()).withDetail("inFlight", strata.inFlight());
        Map<String, Object> all = new LinkedHashMap<>();
        for (DependencyHealth d : strata.health().dependencies()) {
            all.put(d.name(), describe(d));
        }
        return health.withDetail("dependencies", all).build();
    }

    static Map<String, Object> describe(DependencyHealth d) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (d.breakerState() != null) {
            json.put("breaker", d.breakerState().name());
            json.put("failureRate", Double.isNaN(d.breakerFailureRate()) ? null : d.breakerFailureRate());
        }
        if (d.pool() != null) {
            PoolStats p = d.pool();
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("max", p.maxSize());
            pool.put("total", p.total());
            pool.put("active", p.active());
            pool.put("idle", p.idle());
            pool.put("waiting", p.waiting());
            pool.put("timeouts", p.timeouts());
            pool.put("staleDetected", p.staleDetected());
            json.put("pool", pool);
        }
        if (d.bulkheadMax() >= 0) {
            json.put("bulkhead", Map.of("inUse", d.bulkheadInUse(), "max", d.bulkheadMax()));
        }
        if (d.retryBudgetAvailable() >= 0) {
            json.put("retryBudgetAvailable", d.retryBudgetAvailable());
        }
        if (d.lastFault() != null) {
            json.put("lastFault", d.lastFault().toString());
            json.put("lastFaultMillis", d.lastFaultMillis());
        }
        return json;
    }
}
