package dev.strata.diagnosis;

import dev.strata.observe.EventBus;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.RetryBudget;
import dev.strata.ratelimit.RateLimiter;
import dev.strata.pool.Pool;
import dev.strata.jdbc.StrataDataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@link Diagnoser} reads: one event bus and read-only views of the runtime's pools,
 * breakers, bulkheads and connection budgets (retry budgets speak through their events). The L4 runtime is one source; a
 * fixed set of objects built with {@link #builder(EventBus)} is another. Lists are asked for on
 * every poll, so a source may return what exists now.
 */
public interface DiagnosisSource {

    /** The bus every component of the source publishes to (a parent bus sees its children's events). */
    EventBus events();

    /** Pools with the dependency that owns them and the target they connect to. */
    default List<PoolView> pools() {
        return List.of();
    }

    default List<CircuitBreaker> breakers() {
        return List.of();
    }

    default List<Bulkhead> bulkheads() {
        return List.of();
    }

    /**
     * Retry budgets, each named after the dependency it caps: a dependency with one cannot have a
     * retry storm, since the budget bounds its retries by construction.
     */
    default List<RetryBudget> retryBudgets() {
        return List.of();
    }

    /** Rate limiters, each publishing its refusals under its policy's name (the dependency's, when the runtime made it). */
    default List<RateLimiter> limiters() {
        return List.of();
    }

    /** Connection budgets: the most connections all pools to one target may hold together. */
    default List<ConnectionLimit> connectionLimits() {
        return List.of();
    }

    /**
     * Second pools the source itself noticed and that are still there (the L4 registry records one
     * when a pool is created for a target that already has one, with both creation sites; it ends
     * when the first pool closes).
     */
    default List<Duplicate> duplicates() {
        return List.of();
    }

    /**
     * A second pool to a target, as the source that noticed it reports it.
     *
     * @param dependency the dependency whose pool was the second one
     * @param target the shared target
     * @param message the source's own sentence, naming both creators
     */
    record Duplicate(String dependency, String target, String message) {
    }

    /**
     * A pool as the diagnosis sees it.
     *
     * @param dependency the dependency that owns it (its events carry this name)
     * @param target what it connects to, normalised ({@code host:port/database}, optionally {@code @user});
     *     the part before the first {@code /} is the server, the unit of connection budgets; null when unknown
     * @param pool the pool, read through {@link Pool#stats()} and {@link Pool#config()} only
     */
    record PoolView(String dependency, String target, Pool<?> pool) {
        public PoolView {
            Objects.requireNonNull(dependency, "dependency");
            Objects.requireNonNull(pool, "pool");
        }
    }

    /**
     * A connection budget for one target.
     *
     * @param target a server ({@code host:port}) or a full target, as in {@link PoolView#target()}
     * @param maxConnections the most connections every pool to it may hold together (per instance)
     */
    record ConnectionLimit(String target, int maxConnections) {
        public ConnectionLimit {
            Objects.requireNonNull(target, "target");
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections: " + maxConnections + " must be >= 1");
            }
        }
    }

    /**
     * {@code host:port/database} of a JDBC URL ({@code jdbc:postgresql://db:5432/orders?ssl=true}
     * gives {@code db:5432/orders}), so two pools to one database compare equal whatever their
     * parameters; other URLs are returned unchanged.
     */
    static String targetOf(String jdbcUrl) {
        Matcher m = Pattern.compile("jdbc:[a-z]+://([^/?]+)(/[^?;]*)?.*").matcher(jdbcUrl);
        if (!m.matches()) {
            return jdbcUrl;
        }
        String hostPort = m.group(1).contains(":") ? m.group(1) : m.group(1) + ":5432";
        return hostPort + (m.group(2) == null ? "" : m.group(2));
    }

    /** A source over a fixed set of components. */
    static Builder builder(EventBus events) {
        return new Builder(events);
    }

    /** Collects the components of a fixed {@link DiagnosisSource}. */
    final class Builder {
        private final EventBus events;
        private final List<PoolView> pools = new ArrayList<>();
        private final List<CircuitBreaker> breakers = new ArrayList<>();
        private final List<Bulkhead> bulkheads = new ArrayList<>();
        private final List<ConnectionLimit> limits = new ArrayList<>();
        private final List<RetryBudget> retryBudgets = new ArrayList<>();
        private final List<RateLimiter> limiters = new ArrayList<>();

        private Builder(EventBus events) {
            this.events = Objects.requireNonNull(events, "events");
        }

        public Builder pool(String dependency, String target, Pool<?> pool) {
            pools.add(new PoolView(dependency, target, pool));
            return this;
        }

        /** The data source's pool, with its URL's {@link #targetOf target}. */
        public Builder dataSource(String dependency, StrataDataSource dataSource) {
            return pool(dependency, targetOf(dataSource.url()), dataSource.pool());
        }

        public Builder breaker(CircuitBreaker breaker) {
            breakers.add(Objects.requireNonNull(breaker, "breaker"));
            return this;
        }

        public Builder bulkhead(Bulkhead bulkhead) {
            bulkheads.add(Objects.requireNonNull(bulkhead, "bulkhead"));
            return this;
        }

        /** A retry budget, named after the dependency whose retries it caps ({@link RetryBudget.Builder#name}). */
        public Builder retryBudget(RetryBudget budget) {
            retryBudgets.add(Objects.requireNonNull(budget, "budget"));
            return this;
        }

        /** A rate limiter; its refusals are filed under its policy's name. */
        public Builder limiter(RateLimiter limiter) {
            limiters.add(Objects.requireNonNull(limiter, "limiter"));
            return this;
        }

        public Builder connectionLimit(String target, int maxConnections) {
            limits.add(new ConnectionLimit(target, maxConnections));
            return this;
        }

        public DiagnosisSource build() {
            List<PoolView> p = List.copyOf(pools);
            List<CircuitBreaker> b = List.copyOf(breakers);
            List<Bulkhead> h = List.copyOf(bulkheads);
            List<ConnectionLimit> l = List.copyOf(limits);
            List<RetryBudget> r = List.copyOf(retryBudgets);
            List<RateLimiter> rl = List.copyOf(limiters);
            EventBus bus = events;
            return new DiagnosisSource() {
                @Override
                public EventBus events() {
                    return bus;
                }

                @Override
                public List<PoolView> pools() {
                    return p;
                }

                @Override
                public List<CircuitBreaker> breakers() {
                    return b;
                }

                @Override
                public List<Bulkhead> bulkheads() {
                    return h;
                }

                @Override
                public List<ConnectionLimit> connectionLimits() {
                    return l;
                }

                @Override
                public List<RetryBudget> retryBudgets() {
                    return r;
                }

                @Override
                public List<RateLimiter> limiters() {
                    return rl;
                }
            };
        }
    }
}
