package dev.strata.bench.pool;

import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A JDBC connection to nothing: session settings are remembered, everything else does nothing
 * or is unsupported. It lets a pool benchmark measure the pool alone, with no driver or network
 * cost on either side of the comparison.
 */
final class NoopConnection implements Connection {

    private volatile boolean closed;
    private boolean autoCommit = true;
    private boolean readOnly;
    private int isolation = Connection.TRANSACTION_READ_COMMITTED;
    private int networkTimeout;

    @Override
    public Statement createStatement() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createStatement");
    }

    @Override
    public PreparedStatement prepareStatement(String a0) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public CallableStatement prepareCall(String a0) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareCall");
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: nativeSQL");
    }

    @Override
    public void setAutoCommit(boolean a0) throws SQLException {
        this.autoCommit = a0;
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return autoCommit;
    }

    @Override
    public void commit() throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public void rollback() throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public void close() throws SQLException {
        closed = true;
    }

    @Override
    public boolean isClosed() throws SQLException {
        return closed;
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: getMetaData");
    }

    @Override
    public void setReadOnly(boolean a0) throws SQLException {
        this.readOnly = a0;
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return readOnly;
    }

    @Override
    public void setCatalog(String a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public String getCatalog() throws SQLException {
        return null;
    }

    @Override
    public void setTransactionIsolation(int a0) throws SQLException {
        this.isolation = a0;
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return isolation;
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return null;
    }

    @Override
    public void clearWarnings() throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createStatement");
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareCall");
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        return null;
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public void setHoldability(int a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public int getHoldability() throws SQLException {
        return ResultSet.HOLD_CURSORS_OVER_COMMIT;
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: setSavepoint");
    }

    @Override
    public Savepoint setSavepoint(String a0) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: setSavepoint");
    }

    @Override
    public void rollback(Savepoint a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public void releaseSavepoint(Savepoint a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createStatement");
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareCall");
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: prepareStatement");
    }

    @Override
    public Clob createClob() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createClob");
    }

    @Override
    public Blob createBlob() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createBlob");
    }

    @Override
    public NClob createNClob() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createNClob");
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createSQLXML");
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        return !closed;
    }

    @Override
    public void setClientInfo(String a0, String a1) throws SQLClientInfoException {
        // nothing to do: there is no database
    }

    @Override
    public void setClientInfo(Properties a0) throws SQLClientInfoException {
        // nothing to do: there is no database
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return null;
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        return new Properties();
    }

    @Override
    public Array createArrayOf(String a0, Object[] a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createArrayOf");
    }

    @Override
    public Struct createStruct(String a0, Object[] a1) throws SQLException {
        throw new SQLFeatureNotSupportedException("the no-op driver does nothing: createStruct");
    }

    @Override
    public void setSchema(String a0) throws SQLException {
        // nothing to do: there is no database
    }

    @Override
    public String getSchema() throws SQLException {
        return null;
    }

    @Override
    public void abort(Executor a0) throws SQLException {
        closed = true;
    }

    @Override
    public void setNetworkTimeout(Executor a0, int a1) throws SQLException {
        this.networkTimeout = a1;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return networkTimeout;
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper for " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }
}
