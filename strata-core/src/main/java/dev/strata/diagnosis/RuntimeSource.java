package dev.strata.diagnosis;

import dev.strata.application.ConnectionBudget;
import dev.strata.application.Dependency;
import dev.strata.application.Finding;
import dev.strata.application.PoolTarget;
import dev.strata.application.Strata;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.RetryBudget;
import dev.strata.pool.Pool;
import dev.strata.jdbc.StrataDataSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The L4 runtime as a {@link DiagnosisSource}: its event bus, its components (read through the
 * runtime's read-only enumeration on every poll), its connection budget checks and the duplicate
 * pools its registry noticed.
 */
final class RuntimeSource implements DiagnosisSource {

    private final Strata strata;

    RuntimeSource(Strata strata) {
        this.strata = strata;
    }

    @Override
    public EventBus events() {
        return strata.events();
    }

    @Override
    public List<PoolView> pools() {
        List<PoolView> views = new ArrayList<>();
        for (Strata.Component c : strata.components()) {
            Pool<?> pool = c.instance() instanceof StrataDataSource ds ? ds.pool()
                    : c.instance() instanceof Pool<?> p ? p : null;
            if (pool != null) {
                views.add(new PoolView(c.dependency(), target(c.dependency()), pool));
            }
        }
        return views;
    }

    private String target(String dependency) {
        Dependency d = strata.dependencies().get(dependency);
        if (d == null) {
            return null;
        }
        return d.poolTarget().map(RuntimeSource::format).orElse(null);
    }

    /** {@code host:port/database}, with {@code @user} when the target has one. */
    static String format(PoolTarget t) {
        return t.server() + "/" + t.database() + (t.user().isEmpty() ? "" : "@" + t.user());
    }

    @Override
    public List<CircuitBreaker> breakers() {
        return strata.breakers();
    }

    @Override
    public List<Bulkhead> bulkheads() {
        return strata.bulkheads();
    }

    @Override
    public List<dev.strata.ratelimit.RateLimiter> limiters() {
        return strata.limiters();
    }

    @Override
    public List<RetryBudget> retryBudgets() {
        return strata.retryBudgets();
    }

    @Override
    public List<ConnectionLimit> connectionLimits() {
        List<ConnectionLimit> limits = new ArrayList<>();
        for (ConnectionBudget.Check check : strata.connectionBudgetChecks()) {
            if (check.maxConnections() > 0) {
                limits.add(new ConnectionLimit(check.server(), (int) Math.max(1, check.allowed() / check.instances())));
            }
        }
        return limits;
    }

    @Override
    public List<Duplicate> duplicates() {
        List<Duplicate> out = new ArrayList<>();
        for (Finding f : strata.currentFindings()) {
            if (f.type().equals("registry.duplicate-pool")) {
                out.add(new Duplicate(f.dependency(), target(f.dependency()), f.message()));
            }
        }
        return out;
    }
}
