package dev.strata.shop;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * A real PostgreSQL for the demo and the shop, started by this process on 127.0.0.1, holding a
 * small catalog and an orders table. The server's {@code idle_session_timeout} is set low (the seed's 30 s, time
 * compressed) so a connection left idle is closed by the server, exactly as in production; that is
 * what the quiet-then-burst phase relies on.
 */
public final class ShopDatabase implements AutoCloseable {

    /** Products in the catalog; small so a catalog query is cheap and its latency is the pool's. */
    public static final int PRODUCTS = 50;

    private final EmbeddedPostgres postgres;
    private final String jdbcUrl;
    private final Duration idleSessionTimeout;
    private long postmasterPid = -1;

    private ShopDatabase(EmbeddedPostgres postgres, Duration idleSessionTimeout) {
        this.postgres = postgres;
        this.jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
        this.idleSessionTimeout = idleSessionTimeout;
    }

    /**
     * Starts PostgreSQL and creates the schema.
     *
     * @param idleSessionTimeout the server closes sessions idle longer than this
     */
    public static ShopDatabase start(Duration idleSessionTimeout) {
        EmbeddedPostgres postgres;
        try {
            postgres = EmbeddedPostgres.builder()
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("idle_session_timeout", String.valueOf(idleSessionTimeout.toMillis()))
                    .setServerConfig("max_connections", "60")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
        }
        ShopDatabase database = new ShopDatabase(postgres, idleSessionTimeout);
        try {
            database.createSchema();
            database.postmasterPid = database.findPid();
        } catch (SQLException | RuntimeException e) {
            database.close();
            throw new IllegalStateException("could not create the shop schema", e);
        }
        return database;
    }

    private void createSchema() throws SQLException {
        try (Connection c = open(); Statement s = c.createStatement()) {
            // idle_session_timeout applies to this session too; it is short-lived, so that is fine.
            s.execute("CREATE TABLE product (id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL,"
                    + " popularity int NOT NULL)");
            s.execute("INSERT INTO product SELECT i, 'product ' || i, 100 + i * 37 % 9000, (i * 7919) % 101"
                    + " FROM generate_series(1, " + PRODUCTS + ") AS i");
            s.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, variant text NOT NULL, product_id int NOT NULL"
                    + " REFERENCES product(id), status text NOT NULL CHECK (status IN ('confirmed', 'pending')),"
                    + " created_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** Opens a new, unpooled connection: used by the naive pool and for set-up and checks. */
    public Connection open() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", "postgres");
        props.setProperty("connectTimeout", "5"); // seconds; a bound on the connect even for the naive code
        return DriverManager.getConnection(jdbcUrl, props);
    }

    /** The JDBC URL of the {@code postgres} database. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The server's port on 127.0.0.1. */
    public int port() {
        return postgres.getPort();
    }

    /**
     * The PostgreSQL server process's id (the postmaster; its backends are its children), or -1
     * when it cannot be found. The postmaster daemonises, so it is not this JVM's child: it is
     * found as the parent of a backend serving a fresh connection.
     */
    public long pid() {
        return postmasterPid;
    }

    private long findPid() {
        try (Connection c = open(); Statement s = c.createStatement(); var rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return ProcessHandle.of(rs.getLong(1)).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
        } catch (SQLException e) {
            return -1;
        }
    }

    public String user() {
        return "postgres";
    }

    public String password() {
        return "postgres";
    }

    /** The server's idle session limit. */
    public Duration idleSessionTimeout() {
        return idleSessionTimeout;
    }

    /** Number of orders written by one variant, per status. */
    public long countOrders(String variant, String status) throws SQLException {
        try (Connection c = open();
             var ps = c.prepareStatement("SELECT count(*) FROM orders WHERE variant = ? AND status = ?")) {
            ps.setString(1, variant);
            ps.setString(2, status);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Stops the server ({@code pg_ctl stop}, fast mode) and removes its data directory. */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the embedded PostgreSQL", e);
        }
    }
}
