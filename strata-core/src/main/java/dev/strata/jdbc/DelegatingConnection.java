package dev.strata.jdbc;

import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.NClob;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;

/**
 * The {@link Connection} methods a {@link PooledConnection} passes straight to the driver's: each
 * refuses to run on a closed connection and passes its {@link SQLException} through
 * {@link #translate}, the one eviction point. What pooling changes (statements, session settings,
 * closing) is in the subclass; this is plain delegation, kept apart so that stays readable.
 */
abstract class DelegatingConnection implements Connection {

    final Connection raw;

    DelegatingConnection(Connection raw) {
        this.raw = raw;
    }

    /** Throws when the borrower already closed this connection. */
    abstract void checkOpen() throws SQLException;

    /** Classifies {@code failure}, evicts the physical connection when it is poisoned; returns what to throw. */
    public abstract SQLException translate(SQLException failure);

    @Override
    public String nativeSQL(String sql) throws SQLException {
        checkOpen();
        try {
            return raw.nativeSQL(sql);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        try {
            return raw.getAutoCommit();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void commit() throws SQLException {
        checkOpen();
        try {
            raw.commit();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void rollback() throws SQLException {
        checkOpen();
        try {
            raw.rollback();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        try {
            return raw.isReadOnly();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public String getCatalog() throws SQLException {
        checkOpen();
        try {
            return raw.getCatalog();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        checkOpen();
        try {
            return raw.getTransactionIsolation();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        try {
            return raw.getWarnings();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        try {
            raw.clearWarnings();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        checkOpen();
        try {
            return raw.getTypeMap();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> typeMap) throws SQLException {
        checkOpen();
        try {
            raw.setTypeMap(typeMap);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setHoldability(int holdability) throws SQLException {
        checkOpen();
        try {
            raw.setHoldability(holdability);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getHoldability() throws SQLException {
        checkOpen();
        try {
            return raw.getHoldability();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        checkOpen();
        try {
            return raw.setSavepoint();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        checkOpen();
        try {
            return raw.setSavepoint(name);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        checkOpen();
        try {
            raw.rollback(savepoint);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        checkOpen();
        try {
            raw.releaseSavepoint(savepoint);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Clob createClob() throws SQLException {
        checkOpen();
        try {
            return raw.createClob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Blob createBlob() throws SQLException {
        checkOpen();
        try {
            return raw.createBlob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public NClob createNClob() throws SQLException {
        checkOpen();
        try {
            return raw.createNClob();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        checkOpen();
        try {
            return raw.createSQLXML();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        raw.setClientInfo(name, value);
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        raw.setClientInfo(properties);
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        checkOpen();
        try {
            return raw.getClientInfo(name);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        checkOpen();
        try {
            return raw.getClientInfo();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        checkOpen();
        try {
            return raw.createArrayOf(typeName, elements);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        checkOpen();
        try {
            return raw.createStruct(typeName, attributes);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public String getSchema() throws SQLException {
        checkOpen();
        try {
            return raw.getSchema();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        checkOpen();
        try {
            return raw.getNetworkTimeout();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void beginRequest() throws SQLException {
        checkOpen();
        try {
            raw.beginRequest();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void endRequest() throws SQLException {
        checkOpen();
        try {
            raw.endRequest();
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey shardingKey, ShardingKey superShardingKey, int timeout) throws SQLException {
        checkOpen();
        try {
            return raw.setShardingKeyIfValid(shardingKey, superShardingKey, timeout);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(ShardingKey shardingKey, int timeout) throws SQLException {
        checkOpen();
        try {
            return raw.setShardingKeyIfValid(shardingKey, timeout);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setShardingKey(ShardingKey shardingKey, ShardingKey superShardingKey) throws SQLException {
        checkOpen();
        try {
            raw.setShardingKey(shardingKey, superShardingKey);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }

    @Override
    public void setShardingKey(ShardingKey shardingKey) throws SQLException {
        checkOpen();
        try {
            raw.setShardingKey(shardingKey);
        } catch (SQLException failure) {
            throw translate(failure);
        }
    }
}
