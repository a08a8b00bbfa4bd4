package dev.strata.jdbc;

import java.sql.Connection;

/**
 * A pooled physical JDBC connection and the session settings it had when it was opened, which
 * every borrower's changes are reset to on return.
 */
record JdbcConnection(Connection raw, boolean readOnly, int isolation, String catalog, String schema,
                      int networkTimeoutMillis) {
}
