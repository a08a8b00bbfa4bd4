package dev.strata.doctor;

import dev.strata.diagnosis.Finding;
import dev.strata.diagnosis.Severity;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;

/**
 * The triage's L1, phase by phase so a failure names its phase: DNS, TCP connect, the PostgreSQL
 * login and a {@code SELECT 1} round trip, each timed and each bounded by the connect timeout.
 * A login refused for the connection limit is reported on L2, where its cause is.
 */
final class NetworkCheck {

    /** Same-region TCP connect above this is slow (the seed: 0.5–2 ms same AZ, &lt; 50 ms same region). */
    static final Duration SLOW_CONNECT = Duration.ofMillis(50);
    /** {@code SELECT 1} round trip above this means L1 (or the server) is slow before any query work. */
    static final Duration SLOW_ROUND_TRIP = Duration.ofMillis(50);

    private final PostgresTriage.Options options;
    private final Map<Layer, LayerReport> layers;

    NetworkCheck(PostgresTriage.Options options, Map<Layer, LayerReport> layers) {
        this.options = options;
        this.layers = layers;
    }

    /** Resolves, connects, logs in and times {@code SELECT 1}; the session, or null when a phase failed (a finding says which). */
    Connection check(String host, int port) {
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
        props.setProperty("ApplicationName", PostgresTriage.APPLICATION_NAME);
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

    private static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }
}
