package dev.strata.application;

import dev.strata.internal.Require;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The connection budget of seed 000: every instance of the service opens every pool, so
 * {@code instances x (sum of the pools' max sizes to one database server)} must fit in the
 * server's {@code max_connections} minus a headroom kept for administrators, migrations and
 * the pool of the next deployment while the old one drains.
 *
 * @param instances how many instances of this service run at once (replicas), 1..10000
 * @param headroom share of {@code max_connections} kept free, 0..0.9; default 0.2
 * @param maxConnections the servers' {@code max_connections} when a dependency does not declare
 *     its own; 0 = not declared (the check at load is skipped; PostgreSQL is still checked at start)
 */
public record ConnectionBudget(int instances, double headroom, int maxConnections) {

    /** One instance, 20 % headroom, {@code max_connections} not declared. */
    public static final ConnectionBudget DEFAULT = new ConnectionBudget(1, 0.2, 0);

    public ConnectionBudget {
        Require.between("connection_budget.instances", instances, 1, 10_000);
        Require.between("connection_budget.headroom", headroom, 0.0, 0.9);
        Require.between("connection_budget.max_connections", maxConnections, 0, 1_000_000);
    }

    /** A pool's share of a server: which dependency, and its maximum size. */
    public record PoolShare(String dependency, int maxSize) {
    }

    /**
     * The arithmetic for one database server.
     *
     * @param server {@code host:port}
     * @param instances instances of the service
     * @param pools every pool to that server
     * @param maxConnections the server's {@code max_connections}
     * @param headroom the share kept free
     * @param source where {@code maxConnections} came from: {@code declared} or {@code SHOW max_connections}
     */
    public record Check(String server, int instances, List<PoolShare> pools, int maxConnections, double headroom,
                        String source) {

        public Check {
            pools = List.copyOf(pools);
        }

        /** Sum of the pools' max sizes. */
        public int perInstance() {
            return pools.stream().mapToInt(PoolShare::maxSize).sum();
        }

        /** Connections the service can open at most: instances x per instance. */
        public long needed() {
            return (long) instances * perInstance();
        }

        /** Connections the service may use: floor(max_connections x (1 - headroom)). */
        public long allowed() {
            return (long) Math.floor(maxConnections * (1.0 - headroom) + 1e-9);
        }

        public boolean fits() {
            return needed() <= allowed();
        }

        /**
         * The arithmetic, e.g. {@code database 127.0.0.1:5432: 3 instances x (catalog 10 + orders 20 = 30)
         * = 90 connections > 80 allowed = 100 max_connections (declared) x (1 - 20% headroom)}.
         */
        public String explain() {
            StringBuilder s = new StringBuilder("database ").append(server).append(": ").append(instances)
                    .append(instances == 1 ? " instance x (" : " instances x (");
            for (int i = 0; i < pools.size(); i++) {
                if (i > 0) {
                    s.append(" + ");
                }
                s.append(pools.get(i).dependency()).append(' ').append(pools.get(i).maxSize());
            }
            s.append(pools.size() > 1 ? " = " + perInstance() : "").append(") = ").append(needed())
                    .append(" connections ").append(fits() ? "<= " : "> ").append(allowed())
                    .append(" allowed = ").append(maxConnections).append(" max_connections (").append(source)
                    .append(") x (1 - ").append(String.format(Locale.ROOT, "%.0f", headroom * 100)).append("% headroom)");
            if (!fits()) {
                s.append("; lower the pools' max_size, the instances, or raise max_connections");
            }
            return s.toString();
        }
    }

    /** Thrown when a budget does not fit; nothing is started. */
    public static final class ExceededException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient List<Check> checks;

        ExceededException(List<Check> checks) {
            super("connection budget exceeded: " + String.join("; ", checks.stream().map(Check::explain).toList()));
            this.checks = List.copyOf(checks);
        }

        /** The checks that failed, with their numbers. */
        public List<Check> checks() {
            return checks;
        }
    }

    /** Groups the pools by server, in the order given. */
    static Map<String, List<PoolShare>> byServer(Map<String, PoolTarget> targets, Map<String, Integer> maxSizes) {
        Map<String, List<PoolShare>> servers = new LinkedHashMap<>();
        targets.forEach((dependency, target) -> servers.computeIfAbsent(target.server(), s -> new ArrayList<>())
                .add(new PoolShare(dependency, maxSizes.get(dependency))));
        return servers;
    }
}
