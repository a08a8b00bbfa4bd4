package dev.strata.doctor;

import dev.strata.diagnosis.Severity;
import dev.strata.diagnosis.Finding;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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

    /** Same-region TCP connect above this is slow (the seed: 0.5–2 ms same AZ, &lt; 50 ms same region). */
    static final Duration SLOW_CONNECT = Duration.ofMillis(50);
    /** {@code SELECT 1} round trip above this means L1 (or the server) is slow before any query work. */
    static final Duration SLOW_ROUND_TRIP = Duration.ofMillis(50);
    /** Typical idle limit of a NAT gateway or cloud load balancer (AWS NAT: 350 s), for the kernel check. */
    static final Duration TYPICAL_PATH_IDLE_LIMIT = Duration.ofSeconds(350);

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
                throw new IllegalArgumentException("jdbcUrl: '" + jdbcUrl
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
        Map<String, Object> kernel = readKernelKeepalive();
        Map<String, Object> server = new LinkedHashMap<>();
        Connection connection = checkNetwork(host, port);
        if (connection != null) {
            try (connection) {
                readServerSettings(connection, server);
                judgeSettings(server, kernel);
                checkResources(connection, server);
                layers.get(Layer.RESILIENCE).observations.put("note",
                        "retries, breakers and timeouts live in the application, not the server: run `strata doctor watch`"
                                + " against the service's /strata/diagnosis");
                checkApplication(connection);
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

    // ------------------------------------------------------------------ L1

    private Connection checkNetwork(String host, int port) {
        LayerReport l1 = layers.get(Layer.NETWORK);
        String target = host + ":" + port;
        long t0 = System.nanoTime();
        InetAddress address;
        try {
            // Bounded by a thread: InetAddress has no timeout of its own and a dead resolver blocks for 5 s+ per try.
            address = resolveWithin(host, options.connectTimeout());
        } catch (UnknownHostException e) {
            l1.findings.add(new Finding("dns-failure", Layer.NETWORK, Severity.ERROR, target,
                    "cannot resolve " + host + ": " + e.getMessage(),
                    Map.of("host", host, "tookMillis", millis(System.nanoTime() - t0)),
                    "check the host name, the resolver (/etc/resolv.conf) and the record; from the application's runtime,"
                            + " not only with dig"));
            return null;
        }
        long dnsNanos = System.nanoTime() - t0;
        l1.observations.put("address", address.getHostAddress());
        l1.observations.put("dnsMillis", millis(dnsNanos));
        if (dnsNanos > options.connectTimeout().toNanos() / 2) {
            l1.findings.add(new Finding("dns-slow", Layer.NETWORK, Severity.WARNING, target,
                    "resolving " + host + " took " + Durations.format(dnsNanos),
                    Map.of("dnsMillis", millis(dnsNanos)),
                    "put DNS under the connect deadline and cache with a real TTL; check the resolver's load"));
        }
        long t1 = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), (int) options.connectTimeout().toMillis());
        } catch (SocketTimeoutException e) {
            l1.findings.add(new Finding("connect-timeout", Layer.NETWORK, Severity.ERROR, target,
                    "TCP connect to " + address.getHostAddress() + ":" + port + " timed out after "
                            + Durations.format(options.connectTimeout()),
                    Map.of("connectTimeoutMillis", options.connectTimeout().toMillis()),
                    "a firewall or security group drops the SYN, or the host is down: check the path to the port"));
            return null;
        } catch (ConnectException e) {
            l1.findings.add(new Finding("connect-refused", Layer.NETWORK, Severity.ERROR, target,
                    "TCP connect to " + address.getHostAddress() + ":" + port + " refused: nothing listens there",
                    Map.of("tookMillis", millis(System.nanoTime() - t1)),
                    "check the server is running and listens on this address and port (listen_addresses, port)"));
            return null;
        } catch (IOException e) {
            l1.findings.add(new Finding("connect-failed", Layer.NETWORK, Severity.ERROR, target,
                    "TCP connect failed: " + e, Map.of(), "check routing and firewalls to the port"));
            return null;
        }
        long tcpNanos = System.nanoTime() - t1;
        l1.observations.put("tcpConnectMillis", millis(tcpNanos));
        if (tcpNanos > SLOW_CONNECT.toNanos()) {
            l1.findings.add(new Finding("connect-slow", Layer.NETWORK, Severity.WARNING, target,
                    "TCP connect took " + Durations.format(tcpNanos) + " (same region is under 50 ms)",
                    Map.of("tcpConnectMillis", millis(tcpNanos)),
                    "check the network path; keep connections pooled and warm so requests do not pay this"));
        }
        Properties props = new Properties();
        if (options.user() != null) {
            props.setProperty("user", options.user());
        }
        if (options.password() != null) {
            props.setProperty("password", options.password());
        }
        props.setProperty("ApplicationName", APPLICATION_NAME);
        int seconds = (int) Math.max(1, (options.connectTimeout().toMillis() + 999) / 1000);
        props.setProperty("connectTimeout", String.valueOf(seconds));
        props.setProperty("loginTimeout", String.valueOf(seconds));
        props.setProperty("socketTimeout", String.valueOf(seconds * 2));
        long t2 = System.nanoTime();
        Connection connection;
        try {
            connection = DriverManager.getConnection(options.jdbcUrl(), props);
        } catch (SQLException e) {
            boolean auth = e.getSQLState() != null && e.getSQLState().startsWith("28");
            boolean limit = "53300".equals(e.getSQLState());
            layers.get(limit ? Layer.RESOURCE : Layer.NETWORK).findings.add(
                    new Finding(limit ? "server-connection-limit" : auth ? "login-rejected" : "login-failed",
                    limit ? Layer.RESOURCE : Layer.NETWORK, Severity.ERROR, target,
                    "TCP connects but the PostgreSQL login fails: " + e.getMessage(),
                    Map.of("sqlState", String.valueOf(e.getSQLState()), "tookMillis", millis(System.nanoTime() - t2)),
                    limit ? "the server is at max_connections: find the pools holding them (L2/L4) before raising the limit"
                            : auth ? "check user, password and pg_hba.conf" : "check TLS settings, pg_hba.conf and the server log"));
            return null;
        }
        l1.observations.put("loginMillis", millis(System.nanoTime() - t2));
        try (Statement s = connection.createStatement()) {
            long[] samples = new long[5];
            for (int i = 0; i < samples.length; i++) {
                long start = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT 1")) {
                    rs.next();
                }
                samples[i] = System.nanoTime() - start;
            }
            Arrays.sort(samples);
            l1.observations.put("select1MedianMillis", millis(samples[2]));
            l1.observations.put("select1MaxMillis", millis(samples[4]));
            if (samples[2] > SLOW_ROUND_TRIP.toNanos()) {
                l1.findings.add(new Finding("round-trip-slow", Layer.NETWORK, Severity.WARNING, target,
                        "SELECT 1 takes " + Durations.format(samples[2]) + " (median of 5)",
                        Map.of("select1MedianMillis", millis(samples[2])),
                        "a round trip that does no work is slow: check the network path and the server's load"));
            }
        } catch (SQLException e) {
            l1.findings.add(new Finding("select1-failed", Layer.NETWORK, Severity.ERROR, target,
                    "logged in, but SELECT 1 fails: " + e.getMessage(), Map.of("sqlState", String.valueOf(e.getSQLState())),
                    "check the server log; the session was accepted and then broken"));
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken; nothing more to learn from it
            }
            return null;
        }
        return connection;
    }

    private static InetAddress resolveWithin(String host, Duration timeout) throws UnknownHostException {
        java.util.concurrent.CompletableFuture<InetAddress> lookup = new java.util.concurrent.CompletableFuture<>();
        Thread resolver = Thread.ofVirtual().name("strata-triage-dns").start(() -> {
            try {
                lookup.complete(InetAddress.getByName(host));
            } catch (UnknownHostException | RuntimeException e) {
                lookup.completeExceptionally(e);
            }
        });
        try {
            return lookup.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            resolver.interrupt();
            throw new UnknownHostException(host + ": no answer within " + Durations.format(timeout));
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof UnknownHostException unknown) {
                throw unknown;
            }
            throw new UnknownHostException(host + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnknownHostException(host + ": interrupted while resolving");
        }
    }

    private void readServerSettings(Connection c, Map<String, Object> server) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT name, setting, unit FROM pg_settings WHERE name IN ('max_connections',"
                        + " 'superuser_reserved_connections', 'idle_session_timeout', 'idle_in_transaction_session_timeout',"
                        + " 'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'statement_timeout',"
                        + " 'server_version') ORDER BY name");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                String unit = rs.getString(3);
                String value = rs.getString(2);
                server.put(rs.getString(1), unit == null ? value : value + unit);
            }
        }
    }

    /** Milliseconds of a pg_settings value with its unit (ms or s), or -1 when absent. */
    static long settingMillis(Map<String, Object> server, String name) {
        Object raw = server.get(name);
        if (raw == null) {
            return -1;
        }
        String text = raw.toString();
        if (text.endsWith("ms")) {
            return Long.parseLong(text.substring(0, text.length() - 2));
        }
        if (text.endsWith("s")) {
            return Long.parseLong(text.substring(0, text.length() - 1)) * 1000;
        }
        if (text.endsWith("min")) {
            return Long.parseLong(text.substring(0, text.length() - 3)) * 60_000;
        }
        return Long.parseLong(text);
    }

    private Map<String, Object> readKernelKeepalive() {
        Map<String, Object> kernel = new LinkedHashMap<>();
        for (String name : List.of("tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes")) {
            Path file = options.procSys().resolve("net/ipv4/" + name);
            try {
                kernel.put(name, Long.parseLong(Files.readString(file).trim()));
            } catch (IOException | NumberFormatException | SecurityException e) {
                kernel.put(name, "unknown (" + file + " not readable)");
            }
        }
        return kernel;
    }

    private void judgeSettings(Map<String, Object> server, Map<String, Object> kernel) {
        LayerReport l1 = layers.get(Layer.NETWORK);
        long idleSession = settingMillis(server, "idle_session_timeout");
        if (idleSession > 0) {
            l1.findings.add(new Finding("server-idle-session-timeout", Layer.NETWORK, Severity.WARNING, "server",
                    "the server closes sessions idle longer than " + Durations.format(Duration.ofMillis(idleSession))
                            + "; a pooled connection idle that long is dead when lent (TCP keepalives do not reset this timer)",
                    Map.of("idleSessionTimeoutMillis", idleSession),
                    "set every pool's idle timeout below " + Durations.format(Duration.ofMillis(idleSession * 5 / 6))
                            + " (5/6 of it) and validate connections idle longer than a few seconds"));
        }
        if (kernel.get("tcp_keepalive_time") instanceof Long time && kernel.get("tcp_keepalive_intvl") instanceof Long intvl
                && kernel.get("tcp_keepalive_probes") instanceof Long probes) {
            long detection = time + intvl * probes;
            l1.observations.put("kernelDeadPeerDetectionSeconds", detection);
            if (time >= TYPICAL_PATH_IDLE_LIMIT.toSeconds()) {
                Map<String, Object> evidence = new LinkedHashMap<>();
                evidence.put("tcpKeepaliveTimeSeconds", time);
                evidence.put("tcpKeepaliveIntvlSeconds", intvl);
                evidence.put("tcpKeepaliveProbes", probes);
                evidence.put("deadPeerDetectionSeconds", detection);
                evidence.put("typicalPathIdleLimitSeconds", TYPICAL_PATH_IDLE_LIMIT.toSeconds());
                l1.findings.add(new Finding("kernel-keepalive-above-path-idle", Layer.NETWORK, Severity.WARNING, "local kernel",
                        "this host's first keepalive goes out after " + time + " s; a NAT or load balancer that forgets idle"
                                + " flows after " + TYPICAL_PATH_IDLE_LIMIT.toSeconds() + " s black-holes the flow first,"
                                + " and a dead peer is noticed only after " + detection + " s",
                        evidence,
                        "set keepalive per socket (Strata's KeepaliveOptions, e.g. idle 20 s, interval 5 s, count 3) or"
                                + " lower net.ipv4.tcp_keepalive_time below the path's idle limit"));
            }
        }
        long serverKeepaliveIdle = settingMillis(server, "tcp_keepalives_idle");
        if (serverKeepaliveIdle == 0) {
            l1.observations.put("serverTcpKeepalivesIdle", "0 = the server host's kernel default");
        }
        LayerReport l2 = layers.get(Layer.RESOURCE);
        if (settingMillis(server, "idle_in_transaction_session_timeout") == 0) {
            l2.findings.add(new Finding("no-idle-in-transaction-timeout", Layer.RESOURCE, Severity.WARNING, "server",
                    "idle_in_transaction_session_timeout is 0: a transaction a leaking code path leaves open holds its"
                            + " connection and its locks forever",
                    Map.of("idleInTransactionSessionTimeoutMillis", 0),
                    "set idle_in_transaction_session_timeout (e.g. 60s) for the application's role, and fix the leak"));
        }
        if (settingMillis(server, "statement_timeout") == 0) {
            layers.get(Layer.RESILIENCE).findings.add(new Finding("no-statement-timeout", Layer.RESILIENCE, Severity.WARNING,
                    "server", "statement_timeout is 0: a slow query holds its pooled connection as long as it runs",
                    Map.of("statementTimeoutMillis", 0),
                    "set statement_timeout for the application's role below the call's deadline"));
        }
    }

    // ------------------------------------------------------------------ L2

    private void checkResources(Connection c, Map<String, Object> server) throws SQLException {
        LayerReport l2 = layers.get(Layer.RESOURCE);
        int max = Integer.parseInt(String.valueOf(server.getOrDefault("max_connections", "0")));
        int reserved = Integer.parseInt(String.valueOf(server.getOrDefault("superuser_reserved_connections", "0")));
        int usable = Math.max(1, max - reserved);
        Map<String, Object> byState = new LinkedHashMap<>();
        int total = 0;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity"
                     + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 2 DESC")) {
            while (rs.next()) {
                byState.put(rs.getString(1), rs.getInt(2));
                total += rs.getInt(2);
            }
        }
        l2.observations.put("connections", total);
        l2.observations.put("byState", byState);
        l2.observations.put("maxConnections", max);
        l2.observations.put("superuserReserved", reserved);
        double used = (total + 1.0) / usable; // + 1: this triage's own session counts against the limit too
        l2.observations.put("usedPercent", Math.round(used * 1000) / 10.0);
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("connections", total + 1);
        evidence.put("usable", usable);
        evidence.put("maxConnections", max);
        evidence.put("byState", byState);
        if (used >= 0.9) {
            l2.findings.add(new Finding("near-connection-limit", Layer.RESOURCE, Severity.ERROR, "server",
                    (total + 1) + " of " + usable + " usable connections are open (" + Math.round(used * 100)
                            + "%): new logins will fail with 53300",
                    evidence,
                    "find who holds them (idle in transaction = leak; one application with several pools = L4) before"
                            + " raising max_connections; budget connections across services, keep 20% headroom"));
        } else if (used > 0.6) {
            l2.findings.add(new Finding("connections-above-60-percent", Layer.RESOURCE, Severity.WARNING, "server",
                    (total + 1) + " of " + usable + " usable connections are open (" + Math.round(used * 100) + "%)",
                    evidence, "keep the total under 60% of max_connections: budget the pools of every service"));
        }
        List<Map<String, Object>> stuck = sessionsOlderThan(c, "idle in transaction", options.idleInTransactionLimit());
        if (!stuck.isEmpty()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("count", stuck.size());
            e.put("limitMillis", options.idleInTransactionLimit().toMillis());
            e.put("sessions", stuck);
            l2.findings.add(new Finding("idle-in-transaction", Layer.RESOURCE, Severity.ERROR, "server",
                    stuck.size() + " session(s) idle in transaction for longer than "
                            + Durations.format(options.idleInTransactionLimit()) + ", oldest " + stuck.getFirst().get("seconds")
                            + " s from " + stuck.getFirst().get("application") + ": a code path borrowed a connection,"
                            + " began a transaction and never finished it",
                    e,
                    "find the code path by its last query (in the evidence); return connections in finally/try-with-resources;"
                            + " turn on the pool's leak detection; set idle_in_transaction_session_timeout"));
        }
        List<Map<String, Object>> slow = sessionsOlderThan(c, "active", options.longHeldLimit());
        if (!slow.isEmpty()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("count", slow.size());
            e.put("limitMillis", options.longHeldLimit().toMillis());
            e.put("sessions", slow);
            l2.findings.add(new Finding("long-running-queries", Layer.RESOURCE, Severity.WARNING, "server",
                    slow.size() + " quer" + (slow.size() == 1 ? "y has" : "ies have") + " been running for longer than "
                            + Durations.format(options.longHeldLimit()) + ", each holding a pooled connection",
                    e, "bound queries with statement_timeout below the caller's deadline; look at the plans of these queries"));
        }
    }

    private static List<Map<String, Object>> sessionsOlderThan(Connection c, String state, Duration limit) throws SQLException {
        List<Map<String, Object>> sessions = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT pid, coalesce(application_name, ''), coalesce(host(client_addr), 'local'),"
                        + " extract(epoch FROM now() - state_change)::float8, left(query, 200)"
                        + " FROM pg_stat_activity WHERE state = ? AND pid <> pg_backend_pid()"
                        + " AND now() - state_change > make_interval(secs => ?) ORDER BY state_change LIMIT 20")) {
            s.setString(1, state);
            s.setDouble(2, limit.toMillis() / 1000.0);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("pid", rs.getInt(1));
                    row.put("application", rs.getString(2));
                    row.put("client", rs.getString(3));
                    row.put("seconds", Math.round(rs.getDouble(4) * 10) / 10.0);
                    row.put("query", rs.getString(5));
                    sessions.add(row);
                }
            }
        }
        return sessions;
    }

    // ------------------------------------------------------------------ L4

    private void checkApplication(Connection c) throws SQLException {
        LayerReport l4 = layers.get(Layer.APPLICATION);
        List<Map<String, Object>> groups = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'),"
                     + " count(*), min(backend_start)::text, max(backend_start)::text FROM pg_stat_activity"
                     + " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 3 DESC")) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("application", rs.getString(1));
                row.put("client", rs.getString(2));
                row.put("connections", rs.getInt(3));
                groups.add(row);
            }
        }
        l4.observations.put("byApplicationAndClient", groups);
        int unnamed = 0;
        for (Map<String, Object> group : groups) {
            String app = (String) group.get("application");
            int count = (Integer) group.get("connections");
            if (app.isEmpty()) {
                unnamed += count;
                continue;
            }
            if (options.expectedPoolSize() > 0 && count > options.expectedPoolSize()) {
                Map<String, Object> e = new LinkedHashMap<>(group);
                e.put("expectedPoolSize", options.expectedPoolSize());
                e.put("poolsAtLeast", (count + options.expectedPoolSize() - 1) / options.expectedPoolSize());
                l4.findings.add(new Finding("several-pools-one-application", Layer.APPLICATION, Severity.ERROR, app,
                        app + " holds " + count + " connections from " + group.get("client") + ", more than one pool of "
                                + options.expectedPoolSize() + " can: at least " + e.get("poolsAtLeast")
                                + " pools from one instance",
                        e, "create the pool once per process (one registry, one handle per dependency) and close pools"
                                + " that hot reload or a DI scope created again"));
            }
        }
        if (unnamed > 0) {
            l4.findings.add(new Finding("unnamed-connections", Layer.APPLICATION, Severity.INFO, "server",
                    unnamed + " connection(s) carry no application_name, so their pools cannot be told apart",
                    Map.of("connections", unnamed),
                    "set ApplicationName on every data source (pgjdbc property) to the service's name"));
        }
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    /** Mutable while the triage runs; frozen into a {@link TriageReport.LayerResult} at the end. */
    private static final class LayerReport {
        final Layer layer;
        final Map<String, Object> observations = new LinkedHashMap<>();
        final List<Finding> findings = new ArrayList<>();
        boolean ran = true;

        LayerReport(Layer layer) {
            this.layer = layer;
        }

        TriageReport.LayerResult freeze() {
            return new TriageReport.LayerResult(layer, ran, observations, findings);
        }
    }
}
