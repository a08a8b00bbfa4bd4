package dev.strata.application;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The connection budget checked at {@link Strata#start()} against each database server's real
 * limit, read by the {@link ConnectionLimitProbe} of its kind of database through the pool of the
 * first dependency that uses the server. (The declared limit is checked when the runtime is built.)
 */
final class StartBudgetCheck {

    private StartBudgetCheck() {
    }

    /**
     * Checks every server that has a probe: each check is added to {@code checks} and published; a
     * server that cannot be asked is published as {@code budget.unchecked} and skipped.
     *
     * @throws ConnectionBudget.ExceededException listing every check that does not fit
     */
    static void run(Strata runtime, List<ConnectionBudget.Check> checks) {
        Map<String, List<Dependency>> servers = new LinkedHashMap<>();
        Map<String, ConnectionLimitProbe> probes = new LinkedHashMap<>();
        for (Dependency d : runtime.dependencies().values()) {
            d.poolTarget().ifPresent(t -> ConnectionLimitProbe.forTarget(t).ifPresent(probe -> {
                servers.computeIfAbsent(t.server(), k -> new ArrayList<>()).add(d);
                probes.putIfAbsent(t.server(), probe);
            }));
        }
        ConnectionBudget budget = runtime.connectionBudget();
        List<ConnectionBudget.Check> failed = new ArrayList<>();
        for (Map.Entry<String, List<Dependency>> server : servers.entrySet()) {
            Dependency first = server.getValue().get(0);
            ConnectionLimitProbe probe = probes.get(server.getKey());
            int max;
            try (Connection c = first.dataSource.getConnection()) {
                max = probe.maxConnections(c);
            } catch (SQLException | RuntimeException unreachable) {
                runtime.publish(first.name(), "budget.unchecked", Level.WARNING, "could not read " + probe.setting()
                        + " from " + server.getKey() + " at start (" + unreachable.getMessage() + "); the connection "
                        + "budget was checked only against the declared value");
                continue;
            }
            List<ConnectionBudget.PoolShare> shares = new ArrayList<>();
            for (Dependency d : server.getValue()) {
                shares.add(new ConnectionBudget.PoolShare(d.name(), d.dataSource.pool().config().maxSize()));
            }
            ConnectionBudget.Check check = new ConnectionBudget.Check(server.getKey(), budget.instances(), shares, max,
                    budget.headroom(), probe.source());
            checks.add(check);
            runtime.publish(first.name(), "budget.checked", check.fits() ? Level.INFO : Level.ERROR, "connection budget: "
                    + check.explain());
            if (!check.fits()) {
                failed.add(check);
            }
        }
        if (!failed.isEmpty()) {
            throw new ConnectionBudget.ExceededException(failed);
        }
    }
}
