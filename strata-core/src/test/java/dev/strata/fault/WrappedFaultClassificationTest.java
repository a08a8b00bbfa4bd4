package dev.strata.fault;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.persistence.PersistenceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.jdbc.support.SQLExceptionSubclassTranslator;
import org.springframework.jdbc.support.SQLStateSQLExceptionTranslator;

/**
 * Issue 8 item 1 and 2: the default classifier looks inside the wrappers users actually catch —
 * Spring's and jOOQ's {@code DataAccessException}, JPA's {@code PersistenceException}, the JDK's
 * {@code UncheckedIOException} and {@code UndeclaredThrowableException}, a plain
 * {@code RuntimeException(IOException)} — and classifies them by the SQLState or I/O failure inside,
 * naming the wrapper in the detail. The exceptions come from the libraries themselves.
 */
class WrappedFaultClassificationTest {

    private final FaultClassifier classifier = FaultClassifier.DEFAULT;

    private static SQLException terminatedByAdministrator() {
        return new SQLException("FATAL: terminating connection due to administrator command", "57P01");
    }

    private static SQLException ioError() {
        return new SQLException("An I/O error occurred while sending to the backend.", "08006",
                new SocketException("Connection reset"));
    }

    @Test
    void springSqlStateTranslatorOutputClassifiesBySqlStateAndNamesTheWrapper() {
        DataAccessException translated = new SQLStateSQLExceptionTranslator().translate("query", "select 1", ioError());
        assertThat(translated).isNotNull();
        Fault fault = classifier.classify(translated);
        assertThat(fault.kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(fault.detail()).contains(translated.getClass().getSimpleName());
    }

    @Test
    void springTerminatedBackendIsServerShutdownNotUnclassified() {
        // what JdbcTemplate throws after pg_terminate_backend, translated by Spring's default chain
        DataAccessException translated = new SQLErrorCodeSQLExceptionTranslator("PostgreSQL")
                .translate("query", "select 1", terminatedByAdministrator());
        assertThat(translated).isNotNull();
        Fault fault = classifier.classify(translated);
        assertThat(fault.kind()).isEqualTo(FaultKind.SERVER_SHUTDOWN);
        assertThat(fault.retryable()).isTrue();
        assertThat(fault.detail()).contains("57P01").contains(translated.getClass().getSimpleName());
    }

    @Test
    void springSubclassTranslatorKeepsTheConnectionCause() {
        DataAccessException translated = new SQLExceptionSubclassTranslator().translate("query", "select 1",
                new SQLTransientConnectionException("I/O error", "08006", new SocketTimeoutException("Read timed out")));
        assertThat(translated).isNotNull();
        assertThat(classifier.classify(translated).kind()).isEqualTo(FaultKind.READ_TIMEOUT);
    }

    @Test
    void springValidationFailureStaysApplication() {
        DataAccessException duplicate = new SQLErrorCodeSQLExceptionTranslator("PostgreSQL")
                .translate("insert", "insert into t values (1)", new SQLException("duplicate key", "23505"));
        assertThat(classifier.classify(duplicate).kind()).isEqualTo(FaultKind.VALIDATION);
    }

    @Test
    void jooqDataAccessExceptionClassifiesBySqlState() {
        org.jooq.exception.DataAccessException jooq =
                new org.jooq.exception.DataAccessException("SQL [select 1]; terminating connection", terminatedByAdministrator());
        Fault fault = classifier.classify(jooq);
        assertThat(fault.kind()).isEqualTo(FaultKind.SERVER_SHUTDOWN);
        assertThat(fault.detail()).contains("DataAccessException");
    }

    @Test
    void jpaPersistenceExceptionClassifiesByTheSqlExceptionInside() {
        // Hibernate's JDBCException sits between the two in real stacks; the walk passes through it the same way
        PersistenceException jpa = new PersistenceException("could not execute query", new RuntimeException("JDBC", ioError()));
        Fault fault = classifier.classify(jpa);
        assertThat(fault.kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(fault.detail()).contains("PersistenceException");
    }

    @Test
    void uncheckedIoExceptionIsTheIoFailureInside() {
        Fault fault = classifier.classify(new UncheckedIOException(new SocketException("Connection reset")));
        assertThat(fault.kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(fault.detail()).contains("UncheckedIOException");
    }

    @Test
    void undeclaredThrowableFromAProxyIsTheCheckedFailureInside() {
        Fault fault = classifier.classify(new UndeclaredThrowableException(new ConnectException("Connection refused")));
        assertThat(fault.kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
        assertThat(fault.detail()).contains("UndeclaredThrowableException");
    }

    @Test
    void runtimeExceptionWrappingIoExceptionIsNetwork() {
        Fault fault = classifier.classify(new RuntimeException("call failed", new IOException("stream closed")));
        assertThat(fault.layer()).isEqualTo(Layer.NETWORK);
        assertThat(fault.retryable()).isTrue();
    }

    @Test
    void retryAfterHintSurvivesTheWrapper() {
        Fault fault = classifier.classify(new RuntimeException(new HttpStatusException(503, Duration.ofSeconds(2), "busy")));
        assertThat(fault.kind()).isEqualTo(FaultKind.SERVER_ERROR);
        assertThat(fault.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void firstClassifiableCauseWinsFromTheOutside() {
        // the outer SQLException says what the operation was; the socket failure deeper down does not override it
        SQLException outer = new SQLException("constraint", "23505", new SocketException("Connection reset"));
        assertThat(classifier.classify(new RuntimeException(outer)).kind()).isEqualTo(FaultKind.VALIDATION);
    }

    @Test
    void causeCycleEndsAndStaysUnclassified() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(classifier.classifyOrNull(a)).isNull();
        assertThat(classifier.classify(a).kind()).isEqualTo(FaultKind.UNCLASSIFIED);
    }

    @Test
    void sqlExceptionCycleEnds() {
        SQLException a = new SQLException("a", "08006");
        SQLException b = new SQLException("b", "08006", a);
        a.initCause(b);
        assertThat(classifier.classify(a).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
    }

    @Test
    void chainDeeperThanTheBoundIsNotFollowed() {
        Throwable t = new SocketException("Connection reset");
        for (int i = 0; i < FaultClassifier.MAX_CAUSE_DEPTH + 1; i++) {
            t = new RuntimeException("wrapper " + i, t);
        }
        assertThat(classifier.classifyOrNull(t)).isNull();
        Throwable shallow = new SocketException("Connection reset");
        for (int i = 0; i < FaultClassifier.MAX_CAUSE_DEPTH - 1; i++) {
            shallow = new RuntimeException("wrapper " + i, shallow);
        }
        assertThat(classifier.classify(shallow).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
    }

    @Test
    void plainRuntimeExceptionWithoutCauseStaysUnclassified() {
        assertThat(classifier.classify(new IllegalStateException("bug")).kind()).isEqualTo(FaultKind.UNCLASSIFIED);
    }

    // ---------------------------------------------------------------- item 2: 08001 by its cause

    @Test
    void connectionUnableToConnectThatTimedOutIsConnectTimeout() {
        SQLException hung = new SQLException("The connection attempt failed.", "08001",
                new SocketTimeoutException("Connect timed out"));
        assertThat(classifier.classify(hung).kind()).isEqualTo(FaultKind.CONNECT_TIMEOUT);
    }

    @Test
    void connectionUnableToConnectByLoginTimeoutWithoutCauseIsConnectTimeout() {
        // pgjdbc's loginTimeout: no cause, only the message
        SQLException hung = new SQLException("Connection attempt timed out.", "08001");
        assertThat(classifier.classify(hung).kind()).isEqualTo(FaultKind.CONNECT_TIMEOUT);
    }

    @Test
    void connectionUnableToConnectByDnsIsDnsFailure() {
        SQLException dns = new SQLException("The connection attempt failed.", "08001", new UnknownHostException("db.invalid"));
        assertThat(classifier.classify(dns).kind()).isEqualTo(FaultKind.DNS_FAILURE);
    }

    @Test
    void connectionUnableToConnectByTlsIsTlsFailure() {
        SQLException tls = new SQLException("SSL error", "08001", new SSLHandshakeException("PKIX path building failed"));
        assertThat(classifier.classify(tls).kind()).isEqualTo(FaultKind.TLS_HANDSHAKE_FAILURE);
    }

    @Test
    void connectionRefusedStaysRefused() {
        SQLException refused = new SQLException("Connection to 127.0.0.1:1 refused.", "08001",
                new ConnectException("Connection refused"));
        assertThat(classifier.classify(refused).kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
    }
}
