package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import dev.strata.fault.Layer;
import dev.strata.internal.Require;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The five-minute production triage of a PostgreSQL server, run from outside the application:
 * bottom-up, L1 (can we connect, how long does each phase take, what do the idle and keepalive
 * settings on both ends say), L2 (connections by state against {@code max_connections}, leaked
 * transactions, connections held long), L3 (not visible from the server: said so), L4 (several
 * pools from one application). The first layer with an {@link Severity#ERROR} finding is where
 * the triage stops; what it saw in the layers above is still reported, marked as seen after the
 * stop, because on call the whole picture saves the next round trip.
 *
 * <p>Uses {@code java.sql} only; the PostgreSQL JDBC driver must be on the class path. Every
 * network wait is bounded by {@link Options#connectTimeout()}; the queries it runs read catalog
 * views and change nothing.
 */
public final class PostgresTriage {

    /** The application name the triage's own session uses, so it can leave itself out. */
    public static final String APPLICATION_NAME = "strata-doctor";

    private static final Pattern URL = Pattern.compile(
            "jdbc:postgresql://(\\[[^\\]]+\\]|[^:/,?]+)(?::(\\d+))?(?:,[^/]*)?(?:/.*)?");

    /**
     * What to triage and the limits to judge it by.
     *
     * @param jdbcUrl {@code jdbc:postgresql://host[:port]/database[?...]}
     * @param user user name, or null for the driver's default
     * @param password password, or null
     * @param connectTimeout bound on DNS, TCP connect and the JDBC login, each
     * @param idleInTransactionLimit an {@code idle in transaction} session older than this is a leak (seed: 30 s)
     * @param longHeldLimit an {@code active} query older than this holds its connection too long (seed: 30 s)
     * @param expectedPoolSize the largest pool one application instance should have; more connections than this
     *     from one application name and client address means several pools; 0 when unknown
     * @param procSys where the kernel's {@code net/ipv4/tcp_keepalive_*} files are, normally {@code /proc/sys}
     */
    public record Options(String jdbcUrl, String user, String password, Duration connectTimeout,
                          Duration idleInTransactionLimit, Duration longHeldLimit, int expectedPoolSize, Path procSys) {

        public Options {
            Require.notBlank("jdbcUrl", jdbcUrl);
            if (!URL.matcher(jdbcUrl).matches()) {
                throw new IllegalArgumentException("jdbcUrl: '" + dev.strata.internal.UserInfo.mask(jdbcUrl)
                        + "' is not a PostgreSQL JDBC URL; expected jdbc:postgresql://host[:port]/database");
            }
            Require.between("connectTimeout", connectTimeout, Duration.ofMillis(100), Duration.ofMinutes(2));
            Require.between("idleInTransactionLimit", idleInTransactionLimit, Duration.ofMillis(1), Duration.ofDays(1));
            Require.between("longHeldLimit", longHeldLimit, Duration.ofMillis(1), Duration.ofDays(1));
            Require.between("expectedPoolSize", expectedPoolSize, 0, 10_000);
            Require.nonNull("procSys", procSys);
        }

        /** The seed's limits: 5 s connect, 30 s idle in transaction, 30 s active, pool size unknown. */
        public static Options of(String jdbcUrl, String user, String password) {
            return new Options(jdbcUrl, user, password, Duration.ofSeconds(5), Duration.ofSeconds(30),
                    Duration.ofSeconds(30), 0, Path.of("/proc/sys"));
        }

        public Options withLimits(Duration idleInTransaction, Duration longHeld) {
            return new Options(jdbcUrl, user, password, connectTimeout, idleInTransaction, longHeld, expectedPoolSize, procSys);
        }

        public Options withExpectedPoolSize(int size) {
            return new Options(jdbcUrl, user, password, connectTimeout, idleInTransactionLimit, longHeldLimit, size, procSys);
        }

        public Options withConnectTimeout(Duration timeout) {
            return new Options(jdbcUrl, user, password, timeout, idleInTransactionLimit, longHeldLimit, expectedPoolSize, procSys);
        }
    }

    private final Options options;
    private final Map<Layer, LayerReport> layers = new LinkedHashMap<>();

    private PostgresTriage(Options options) {
        this.options = options;
        for (Layer layer : List.of(Layer.NETWORK, Layer.RESOURCE, Layer.RESILIENCE, Layer.APPLICATION)) {
            layers.put(layer, new LayerReport(layer));
        }
    }

    /** Runs the triage; never throws for what it finds, only reports it. */
    public static TriageReport run(Options options) {
        return new PostgresTriage(options).execute();
    }

    private TriageReport execute() {
        Matcher m = URL.matcher(options.jdbcUrl());
        m.matches();
        String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
        int port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
        Map<String, Object> kernel = KernelKeepalive.read(options.procSys());
        Map<String, Object> server = new LinkedHashMap<>();
        Connection connection = new NetworkCheck(options, layers).check(host, port);
        if (connection != null) {
            try (connection) {
                ServerSettings.read(connection, server);
                ServerSettings.judge(server, kernel, layers);
                new ConnectionStates(options, layers).check(connection, server);
                layers.get(Layer.RESILIENCE).observations.put("note",
                        "retries, breakers and timeouts live in the application, not the server: run `strata doctor watch`"
                                + " against the service's /strata/diagnosis");
                new ApplicationPools(options, layers).check(connection);
            } catch (SQLException e) {
                layers.get(Layer.RESOURCE).findings.add(new Finding("triage-query-failed", Layer.RESOURCE, Severity.ERROR,
                        host + ":" + port, "a catalog query failed: " + e.getMessage(),
                        Map.of("sqlState", String.valueOf(e.getSQLState())),
                        "check the user may read pg_stat_activity and pg_settings (pg_monitor role)"));
            }
        } else {
            for (Layer layer : List.of(Layer.RESOURCE, Layer.RESILIENCE, Layer.APPLICATION)) {
                // a login refused for the connection limit is an L2 finding: that layer was looked at
                layers.get(layer).ran = !layers.get(layer).findings.isEmpty();
            }
        }
        return new TriageReport(host + ":" + port, new ArrayList<>(layers.values()).stream().map(LayerReport::freeze).toList(),
                server, kernel);
    }
}
