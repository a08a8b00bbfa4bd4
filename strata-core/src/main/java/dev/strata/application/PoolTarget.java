package dev.strata.application;

import dev.strata.internal.Require;
import java.net.URI;
import java.util.Locale;

/**
 * What a pool connects to, reduced to what makes two pools "the same target": for JDBC the
 * driver, host, port, database and user (driver properties such as {@code ApplicationName} do not
 * make a second server); for anything else the host and port. Two open pools with equal targets
 * hold two sets of connections where one would do: the L4 finding of {@link Strata}.
 *
 * @param kind {@code jdbc} or {@code tcp}
 * @param server {@code host:port} of the server, lower case; the unit of the connection budget
 * @param database the database (JDBC path), or empty
 * @param user the user, or empty
 */
public record PoolTarget(String kind, String server, String database, String user) {

    public PoolTarget {
        Require.notBlank("kind", kind);
        Require.notBlank("server", server);
        database = database == null ? "" : database;
        user = user == null ? "" : user;
    }

    /**
     * The target of a JDBC URL and user. URLs of the form {@code jdbc:<driver>://host[:port]/db}
     * are parsed (PostgreSQL's default port 5432 and MySQL's 3306 are filled in); any other URL is
     * compared as written, without its parameters.
     */
    public static PoolTarget jdbc(String jdbcUrl, String user) {
        Require.notBlank("jdbcUrl", jdbcUrl);
        String url = jdbcUrl.trim();
        if (!url.regionMatches(true, 0, "jdbc:", 0, 5)) {
            throw new IllegalArgumentException("jdbcUrl: '" + Secret.maskUserInfo(url) + "' is not allowed; must start with jdbc:");
        }
        String rest = url.substring(5);
        int schemeEnd = rest.indexOf("://");
        if (schemeEnd > 0) {
            String driver = rest.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
            try {
                URI uri = URI.create(driver.replace(':', '-') + rest.substring(schemeEnd));
                if (uri.getHost() != null) {
                    int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(driver);
                    String path = uri.getPath() == null ? "" : uri.getPath();
                    String database = path.startsWith("/") ? path.substring(1) : path;
                    return new PoolTarget("jdbc:" + driver, uri.getHost().toLowerCase(Locale.ROOT) + ":" + port, database,
                            user);
                }
            } catch (IllegalArgumentException notAUri) {
                // multi-host or driver-specific syntax: fall through to the literal comparison
            }
        }
        int params = indexOfAny(rest, '?', ';');
        String withoutParams = params < 0 ? rest : rest.substring(0, params);
        return new PoolTarget("jdbc", withoutParams.toLowerCase(Locale.ROOT), "", user);
    }

    /** The target of a socket pool (an HTTP client's connections, a Redis client). */
    public static PoolTarget host(String host, int port) {
        Require.notBlank("host", host);
        Require.between("port", port, 1, 65_535);
        return new PoolTarget("tcp", host.toLowerCase(Locale.ROOT) + ":" + port, "", "");
    }

    /** Whether this is a PostgreSQL database, whose real {@code max_connections} can be asked at start. */
    public boolean isPostgres() {
        return kind.equals("jdbc:postgresql");
    }

    private static int defaultPort(String driver) {
        return switch (driver) {
            case "postgresql" -> 5432;
            case "mysql", "mariadb" -> 3306;
            case "sqlserver" -> 1433;
            default -> -1;
        };
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(server);
        if (!database.isEmpty()) {
            s.append('/').append(database);
        }
        if (!user.isEmpty()) {
            s.append(" as ").append(user);
        }
        return s.toString();
    }
}
