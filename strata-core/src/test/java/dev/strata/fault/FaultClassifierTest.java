package dev.strata.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FaultClassifierTest {

    private final FaultClassifier classifier = FaultClassifier.DEFAULT;

    @Test
    void jdkNetworkExceptionsAreNetworkFaults() {
        assertThat(classifier.classify(new UnknownHostException("db.internal")).kind()).isEqualTo(FaultKind.DNS_FAILURE);
        assertThat(classifier.classify(new ConnectException("Connection refused")).kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
        assertThat(classifier.classify(new SocketTimeoutException("Connect timed out")).kind()).isEqualTo(FaultKind.CONNECT_TIMEOUT);
        assertThat(classifier.classify(new SocketTimeoutException("Read timed out")).kind()).isEqualTo(FaultKind.READ_TIMEOUT);
        assertThat(classifier.classify(new SocketException("Connection reset")).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(classifier.classify(new SocketException("Broken pipe")).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(classifier.classify(new EOFException()).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(classifier.classify(new SSLHandshakeException("bad cert")).kind()).isEqualTo(FaultKind.TLS_HANDSHAKE_FAILURE);
        assertThat(classifier.classify(new IOException("other")).layer()).isEqualTo(Layer.NETWORK);
    }

    @ParameterizedTest
    @CsvSource({
        "53300, TOO_MANY_CONNECTIONS",
        "57014, CANCELLED",
        "40001, TRANSIENT",
        "40P01, TRANSIENT",
        "08006, CONNECTION_RESET",
        "08001, CONNECTION_REFUSED",
        "08P02, STALE_CONNECTION",
        "57P05, STALE_CONNECTION",
        "57P01, SERVER_SHUTDOWN",
        "28P01, AUTHENTICATION",
        "23505, VALIDATION",
        "42601, VALIDATION",
    })
    void sqlStatesMapToKinds(String state, FaultKind expected) {
        assertThat(classifier.classify(new SQLException("x", state)).kind()).isEqualTo(expected);
    }

    @Test
    void sqlConnectionFailureKeepsTheNetworkCauseWhenThereIsOne() {
        SQLException sql = new SQLTransientConnectionException("I/O error", "08006", new SocketTimeoutException("Read timed out"));
        assertThat(classifier.classify(sql).kind()).isEqualTo(FaultKind.READ_TIMEOUT);
    }

    @ParameterizedTest
    @CsvSource({"500, SERVER_ERROR", "503, SERVER_ERROR", "429, RATE_LIMITED", "400, CLIENT_ERROR",
        "404, CLIENT_ERROR", "422, CLIENT_ERROR", "401, AUTHENTICATION", "403, AUTHENTICATION"})
    void httpStatusesMapToKinds(int status, FaultKind expected) {
        assertThat(classifier.classify(new HttpStatusException(status)).kind()).isEqualTo(expected);
    }

    @Test
    void retryAfterTravelsWithTheFault() {
        Fault fault = classifier.classify(new HttpStatusException(429, FaultClassifier.parseRetryAfterSeconds("3"), null));
        assertThat(fault.retryAfter()).isEqualTo(Duration.ofSeconds(3));
        assertThat(fault.retryable()).isTrue();
    }

    @Test
    void wrappersAreUnwrappedAndUnknownsAreUnclassified() {
        assertThat(classifier.classify(new CompletionException(new ConnectException("refused"))).kind())
                .isEqualTo(FaultKind.CONNECTION_REFUSED);
        assertThat(classifier.classify(new NullPointerException()).kind()).isEqualTo(FaultKind.UNCLASSIFIED);
    }

    @Test
    void applicationFaultsAreNeverRetryable() {
        assertThat(Arrays.stream(FaultKind.values()).filter(k -> k.layer() == Layer.APPLICATION))
                .isNotEmpty()
                .noneMatch(FaultKind::retryable);
    }

    @Test
    void customClassifierComesFirstThenTheDefault() {
        FaultClassifier custom = ((FaultClassifier) t -> t instanceof IllegalStateException ? Fault.of(FaultKind.SERVER_ERROR) : null)
                .orElse(FaultClassifier.DEFAULT);
        assertThat(custom.classify(new IllegalStateException()).kind()).isEqualTo(FaultKind.SERVER_ERROR);
        assertThat(custom.classify(new ConnectException()).kind()).isEqualTo(FaultKind.CONNECTION_REFUSED);
    }

    @Test
    void faultPrintsLayerKindAndDetail() {
        assertThat(Fault.of(FaultKind.STALE_CONNECTION, "idle 45 s").toString()).isEqualTo("NETWORK/stale-connection (idle 45 s)");
    }

    @Test
    void sqlExceptionTypesClassifyWhenTheDriverSetsNoSqlState() {
        assertThat(classifier.classify(new java.sql.SQLTimeoutException("timed out")).kind()).isEqualTo(FaultKind.READ_TIMEOUT);
        assertThat(classifier.classify(new SQLTransientConnectionException("gone")).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(classifier.classify(new java.sql.SQLRecoverableException("gone")).kind()).isEqualTo(FaultKind.CONNECTION_RESET);
        assertThat(classifier.classify(new java.sql.SQLTransactionRollbackException("deadlock")).kind()).isEqualTo(FaultKind.TRANSIENT);
        assertThat(classifier.classify(new java.sql.SQLSyntaxErrorException("bad sql")).kind()).isEqualTo(FaultKind.VALIDATION);
        assertThat(classifier.classify(new SQLException("no state, no type")).kind()).isEqualTo(FaultKind.UNCLASSIFIED);
    }

    @Test
    void retryAfterAcceptsSecondsAndHttpDates() {
        long now = java.time.ZonedDateTime.parse("Wed, 21 Oct 2026 07:28:00 GMT",
                java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        assertThat(FaultClassifier.parseRetryAfter("120", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(FaultClassifier.parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now)).isEqualTo(Duration.ofSeconds(30));
        assertThat(FaultClassifier.parseRetryAfter("Wed, 21 Oct 2026 07:00:00 GMT", now)).isEqualTo(Duration.ZERO);
        assertThat(FaultClassifier.parseRetryAfter("soon", now)).isNull();
        assertThat(FaultClassifier.parseRetryAfter(null, now)).isNull();
    }
}
