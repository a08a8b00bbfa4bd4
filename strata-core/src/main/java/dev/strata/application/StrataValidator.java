package dev.strata.application;

import dev.strata.application.InvalidConfigurationException.Problem;
import dev.strata.internal.Durations;
import dev.strata.observe.EventBus;
import dev.strata.pool.PoolConfig;
import dev.strata.resilience.Bulkhead;
import dev.strata.resilience.CircuitBreaker;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.resilience.RetryBudget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link StrataBuilder#build()} and {@link StrataBuilder#validate()} check: every dependency's
 * settings (each policy built once on the side, on a detached bus, so every problem of every
 * dependency is reported together, each with its key), the shutdown timings and the declared
 * connection budget. Nothing it builds is kept.
 */
final class StrataValidator {

    private StrataValidator() {
    }

    /**
     * Every problem of {@code b}'s configuration, dependency by dependency in declaration order;
     * puts each dependency whose settings could be applied into {@code settings}, by name.
     */
    static List<Problem> check(StrataBuilder b, Map<String, DependencySettings> settings) {
        List<Problem> problems = new ArrayList<>();
        if (b.shutdownPause.compareTo(b.shutdownBudget) >= 0 && !b.shutdownPause.isZero()) {
            problems.add(new Problem("shutdown.pause",
                    "shutdown.pause: " + Durations.format(b.shutdownPause) + " must be shorter than shutdown.budget "
                            + Durations.format(b.shutdownBudget) + ", or in-flight work gets no time to finish"));
        }
        for (Map.Entry<String, List<Consumer<DependencySettings>>> e : b.dependencies.entrySet()) {
            DependencySettings s = new DependencySettings(e.getKey());
            try {
                b.defaults.forEach(d -> d.accept(s));
                e.getValue().forEach(d -> d.accept(s));
                for (Map.Entry<AttachmentKey<?>, AttachmentKey.Factory<?>> a : b.everywhere) {
                    s.attachments.putIfAbsent(a.getKey(), a.getValue());
                }
                if (s.httpBaseUrl != null) {
                    s.attachments.putIfAbsent(HttpClients.KEY, HttpClients.factory()); // its StrataHttpClient
                }
            } catch (InvalidConfigurationException invalid) {
                problems.addAll(invalid.problems());
                continue;
            } catch (IllegalArgumentException invalid) {
                problems.add(new Problem("dependencies." + e.getKey(), invalid.getMessage()));
                continue;
            }
            problems.addAll(validate(s));
            settings.put(e.getKey(), s);
        }
        problems.addAll(checkDeclaredBudget(b.budget, settings));
        return problems;
    }

    /** One dependency's problems: each policy built once on the side. */
    private static List<Problem> validate(DependencySettings s) {
        List<Problem> problems = new ArrayList<>();
        String prefix = "dependencies." + s.name() + ".";
        Retry retry = null;
        try {
            if (s.retry != null) {
                retry = s.retry.apply(Retry.builder()).build();
            }
        } catch (IllegalArgumentException invalid) {
            problems.add(new Problem(prefix + "retry", invalid.getMessage()));
        }
        tryBuild(problems, prefix + "breaker", () -> {
            if (s.breaker != null) {
                s.breaker.apply(CircuitBreaker.builder(s.name())).build();
            }
        });
        tryBuild(problems, prefix + "bulkhead", () -> {
            if (s.bulkhead != null) {
                s.bulkhead.apply(Bulkhead.builder(s.name())).build();
            }
        });
        tryBuild(problems, prefix + "retry.budget", () -> {
            if (s.retryBudget != null) {
                s.retryBudget.apply(RetryBudget.builder()).events(EventBus.detached()).build();
            }
        });
        tryBuild(problems, prefix + "pool", () -> {
            if (s.jdbcUrl != null) {
                PoolTarget.jdbc(s.jdbcUrl, s.user);
                poolConfig(s);
            }
        });
        Retry checkedRetry = retry;
        tryBuild(problems, prefix + "deadline", () -> {
            Pipeline.Builder p = Pipeline.builder(s.name()).events(EventBus.detached());
            if (s.deadline != null) {
                p.deadline(s.deadline);
            }
            if (s.timeout != null) {
                p.timeout(s.timeout);
            }
            if (checkedRetry != null) {
                p.retry(checkedRetry);
            }
            p.build(); // the pipeline's build-time budget check, with its numbers
        });
        return problems;
    }

    /** The dependency's pool settings, built on a detached bus: its numbers, or the IllegalArgumentException naming the field. */
    private static PoolConfig poolConfig(DependencySettings s) {
        return (s.pool == null ? PoolConfig.builder(s.name()) : s.pool.apply(PoolConfig.builder(s.name())))
                .events(EventBus.detached()).build();
    }

    private static void tryBuild(List<Problem> problems, String key, Runnable build) {
        try {
            build.run();
        } catch (IllegalArgumentException invalid) {
            problems.add(new Problem(key, invalid.getMessage()));
        }
    }

    /** The connection budget per server against the declared {@code max_connections} (a dependency's, else the budget's). */
    private static List<Problem> checkDeclaredBudget(ConnectionBudget budget, Map<String, DependencySettings> settings) {
        Map<String, PoolTarget> targets = new LinkedHashMap<>();
        Map<String, Integer> maxSizes = new LinkedHashMap<>();
        Map<String, Integer> declared = new LinkedHashMap<>();
        for (DependencySettings s : settings.values()) {
            if (s.jdbcUrl == null) {
                continue;
            }
            try {
                PoolTarget target = PoolTarget.jdbc(s.jdbcUrl, s.user);
                int max = poolConfig(s).maxSize();
                targets.put(s.name(), target);
                maxSizes.put(s.name(), max);
                if (s.maxConnections > 0) {
                    declared.merge(target.server(), s.maxConnections, Math::min);
                }
            } catch (IllegalArgumentException alreadyReported) {
                // validate() reported it with its key
            }
        }
        List<Problem> problems = new ArrayList<>();
        ConnectionBudget.byServer(targets, maxSizes).forEach((server, shares) -> {
            int max = declared.getOrDefault(server, budget.maxConnections());
            if (max > 0) {
                ConnectionBudget.Check check = new ConnectionBudget.Check(server, budget.instances(), shares, max,
                        budget.headroom(), "declared");
                if (!check.fits()) {
                    problems.add(new Problem("connection_budget", "connection budget exceeded: " + check.explain()));
                }
            }
        });
        return problems;
    }
}
