package dev.strata.fault;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns a {@link Throwable} into a {@link Fault}. The {@link #DEFAULT} classifier knows the JDK's
 * network and TLS exceptions, {@link SQLException} by SQLState, {@link HttpStatusException} by
 * status code and Strata's own exceptions. What it does not recognise itself it looks into: the
 * first cause (outermost first, at most {@link #MAX_CAUSE_DEPTH} deep, cycles ended) that it
 * recognises decides, and the detail names the outer type, so Spring's and jOOQ's
 * {@code DataAccessException}, JPA's {@code PersistenceException}, {@code UncheckedIOException},
 * {@code UndeclaredThrowableException} and a plain {@code RuntimeException(IOException)} classify
 * by the SQLState or I/O failure inside. A failed connect (SQLState 08001/08004) is classified
 * by its cause when it has one (timeout, refusal, DNS, TLS). Anything else is
 * {@link FaultKind#UNCLASSIFIED}.
 *
 * <p>Classifiers compose: {@link #orElse(FaultClassifier)} lets a user teach Strata about an
 * exception of their own and fall back to the default for the rest.
 */
@FunctionalInterface
public interface FaultClassifier {

    /**
     * Classifies a failure.
     *
     * @return the fault, or null when this classifier does not recognise the throwable
     */
    Fault classifyOrNull(Throwable failure);

    /** Classifies a failure, never returning null: unknown failures are {@link FaultKind#UNCLASSIFIED}. */
    default Fault classify(Throwable failure) {
        Fault fault = classifyOrNull(failure);
        return fault != null ? fault : Fault.of(FaultKind.UNCLASSIFIED, failure.getClass().getSimpleName());
    }

    /** This classifier first, then {@code next} for what this one does not recognise. */
    default FaultClassifier orElse(FaultClassifier next) {
        return failure -> {
            Fault fault = classifyOrNull(failure);
            return fault != null ? fault : next.classifyOrNull(failure);
        };
    }

    /**
     * How many causes deep {@link #DEFAULT} looks for a failure it recognises inside wrappers it
     * does not (16: real stacks wrap a handful of times; a longer chain is a loop in all but name).
     */
    int MAX_CAUSE_DEPTH = 16;

    /** The built-in classifier for JDK, JDBC, HTTP-status and Strata exceptions. */
    FaultClassifier DEFAULT = Builtin::classify;

    /** The fault kind of an HTTP status code; 2xx and 3xx are not faults and return null. */
    static FaultKind forHttpStatus(int status) {
        if (status == 429) {
            return FaultKind.RATE_LIMITED;
        }
        if (status == 401 || status == 403 || status == 407) {
            return FaultKind.AUTHENTICATION;
        }
        if (status == 408) {
            return FaultKind.READ_TIMEOUT; // the server gave up waiting for our request: safe to repeat
        }
        if (status >= 400 && status < 500) {
            return FaultKind.CLIENT_ERROR;
        }
        if (status >= 500 && status < 600) {
            return FaultKind.SERVER_ERROR;
        }
        return null;
    }

    /** The fault kind of a SQLState, or null when the state says nothing Strata can act on. */
    static FaultKind forSqlState(String sqlState) {
        if (sqlState == null || sqlState.length() < 2) {
            return null;
        }
        String state = sqlState.toUpperCase(Locale.ROOT);
        switch (state) {
            case "53300": return FaultKind.TOO_MANY_CONNECTIONS;
            case "57014": return FaultKind.CANCELLED;
            case "57P01", "57P02", "57P03": return FaultKind.SERVER_SHUTDOWN;
            case "40001", "40P01": return FaultKind.TRANSIENT;
            case "08P02": return FaultKind.STALE_CONNECTION; // PostgreSQL idle_session_timeout
            case "57P05": return FaultKind.STALE_CONNECTION; // PostgreSQL 14+ idle_session_timeout as sent by the server
            case "28000", "28P01": return FaultKind.AUTHENTICATION;
            case "08001", "08004": return FaultKind.CONNECTION_REFUSED;
            default: break;
        }
        return switch (state.substring(0, 2)) {
            case "08" -> FaultKind.CONNECTION_RESET; // connection exception class
            case "53" -> FaultKind.TOO_MANY_CONNECTIONS; // insufficient resources
            case "22", "23", "42", "44" -> FaultKind.VALIDATION; // data, constraint, syntax, check
            case "28" -> FaultKind.AUTHENTICATION;
            default -> null;
        };
    }

    /**
     * Parses an HTTP {@code Retry-After} value given in seconds ({@code 120}); returns null when
     * absent or malformed. For the HTTP-date form use {@link #parseRetryAfter(String, long)}.
     */
    static Duration parseRetryAfterSeconds(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            long seconds = Long.parseLong(header.trim());
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            return null;
        }
    }

    /**
     * Parses an HTTP {@code Retry-After} value in either form RFC 9110 allows: delay seconds
     * ({@code 120}) or an HTTP-date ({@code Wed, 21 Oct 2026 07:28:00 GMT}), the latter relative
     * to {@code nowEpochMillis}. A date in the past means "now" (zero); a malformed or absent
     * value gives null.
     */
    static Duration parseRetryAfter(String header, long nowEpochMillis) {
        Duration seconds = parseRetryAfterSeconds(header);
        if (seconds != null || header == null || header.isBlank()) {
            return seconds;
        }
        try {
            long at = java.time.ZonedDateTime.parse(header.trim(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant().toEpochMilli();
            return Duration.ofMillis(Math.max(0L, at - nowEpochMillis));
        } catch (java.time.format.DateTimeParseException notADate) {
            return null;
        }
    }
}

final class Builtin {

    private Builtin() {
    }

    static Fault classify(Throwable failure) {
        return classify(failure, FaultClassifier.MAX_CAUSE_DEPTH);
    }

    /**
     * Classifies {@code failure}, or the first cause in its chain that this classifier recognises,
     * looking at most {@code depth} causes deep. The bound is also what makes a cause cycle
     * (possible: {@code initCause} refuses only a throwable as its own cause) end; an identity
     * check ends the common two-element cycle at once.
     */
    private static Fault classify(Throwable failure, int depth) {
        Throwable t = unwrap(failure);
        Fault own = classifyOwn(t, depth);
        if (own != null || t instanceof SQLException) {
            return own; // an SQLException has looked through its own causes already
        }
        Throwable previous = t;
        Throwable cause = t.getCause();
        for (int left = depth; left > 0 && cause != null && cause != previous && cause != t; left--) {
            Fault inside = classifyOwn(cause, left - 1);
            if (inside != null) {
                // The caller catches the outer type: name it, so a log line shows both.
                String wrapper = "in " + t.getClass().getSimpleName();
                String detail = inside.detail().isEmpty() ? wrapper : inside.detail() + ", " + wrapper;
                return new Fault(inside.kind(), detail, inside.retryAfter());
            }
            if (cause instanceof SQLException) {
                break; // it looked through the rest of the chain: nothing there either
            }
            previous = cause;
            cause = cause.getCause();
        }
        return null;
    }

    /** The fault of {@code t}'s own type, or null; {@code depth} bounds what SQL classification looks into. */
    private static Fault classifyOwn(Throwable t, int depth) {
        if (t instanceof StrataException se) {
            return se.fault();
        }
        if (t instanceof HttpStatusException http) {
            FaultKind kind = FaultClassifier.forHttpStatus(http.status());
            return new Fault(kind, "HTTP " + http.status(), http.retryAfter());
        }
        if (t instanceof SQLException sql) {
            return classifySql(sql, depth);
        }
        if (t instanceof UnknownHostException) {
            return Fault.of(FaultKind.DNS_FAILURE, t.getMessage());
        }
        if (t instanceof HttpConnectTimeoutException) {
            return Fault.of(FaultKind.CONNECT_TIMEOUT);
        }
        if (t instanceof HttpTimeoutException) {
            return Fault.of(FaultKind.READ_TIMEOUT);
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException
                || t instanceof PortUnreachableException) {
            return Fault.of(saysTimedOut(t) ? FaultKind.CONNECT_TIMEOUT : FaultKind.CONNECTION_REFUSED);
        }
        if (t instanceof SocketTimeoutException) {
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            return Fault.of(message.contains("connect") ? FaultKind.CONNECT_TIMEOUT : FaultKind.READ_TIMEOUT);
        }
        if (t instanceof SSLHandshakeException) {
            return Fault.of(FaultKind.TLS_HANDSHAKE_FAILURE, t.getMessage());
        }
        if (t instanceof SSLException) {
            return Fault.of(FaultKind.CONNECTION_RESET, "TLS: " + t.getMessage());
        }
        if (t instanceof SocketException || t instanceof EOFException || t instanceof ClosedChannelException) {
            return Fault.of(FaultKind.CONNECTION_RESET, t.getMessage());
        }
        if (t instanceof InterruptedIOException) {
            return Fault.of(FaultKind.READ_TIMEOUT);
        }
        if (t instanceof TimeoutException) {
            return Fault.of(FaultKind.ATTEMPT_TIMEOUT);
        }
        if (t instanceof IOException) {
            return Fault.of(FaultKind.NETWORK_IO, t.getClass().getSimpleName());
        }
        if (t instanceof IllegalArgumentException) {
            return Fault.of(FaultKind.VALIDATION, t.getMessage());
        }
        if (t instanceof InterruptedException) {
            return Fault.of(FaultKind.INTERRUPTED);
        }
        return null;
    }

    private static boolean saysTimedOut(Throwable t) {
        return String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("timed out");
    }

    private static Fault classifySql(SQLException sql, int depth) {
        FaultKind kind = FaultClassifier.forSqlState(sql.getSQLState());
        Throwable cause = sql.getCause();
        boolean mayLookInside = cause != null && cause != sql && depth > 0;
        // Drivers chain the real cause, e.g. PostgreSQL wraps a SocketException in 08006. For a
        // failed connect (08001/08004) the cause tells a hang from a refusal, DNS or TLS.
        if ((kind == FaultKind.CONNECTION_RESET || kind == FaultKind.CONNECTION_REFUSED) && mayLookInside) {
            Fault network = classify(cause, depth - 1);
            if (network != null && network.layer() == Layer.NETWORK) {
                return network;
            }
        }
        if (kind == FaultKind.CONNECTION_REFUSED && saysTimedOut(sql)) {
            // pgjdbc's loginTimeout ends a hung connect with 08001 "Connection attempt timed out." and no cause
            return Fault.of(FaultKind.CONNECT_TIMEOUT, "SQLState " + sql.getSQLState());
        }
        if (kind != null) {
            return Fault.of(kind, "SQLState " + sql.getSQLState());
        }
        if (mayLookInside) {
            Fault inside = classify(cause, depth - 1);
            if (inside != null) {
                return inside;
            }
        }
        return classifySqlType(sql);
    }

    /** JDBC's own exception types say what a driver that sets no SQLState meant. */
    private static Fault classifySqlType(SQLException sql) {
        String detail = sql.getClass().getSimpleName();
        if (sql instanceof SQLTimeoutException) {
            return Fault.of(FaultKind.READ_TIMEOUT, detail);
        }
        if (sql instanceof SQLTransientConnectionException || sql instanceof SQLNonTransientConnectionException
                || sql instanceof SQLRecoverableException) {
            return Fault.of(FaultKind.CONNECTION_RESET, detail);
        }
        if (sql instanceof SQLTransientException) {
            return Fault.of(FaultKind.TRANSIENT, detail);
        }
        if (sql instanceof SQLInvalidAuthorizationSpecException) {
            return Fault.of(FaultKind.AUTHENTICATION, detail);
        }
        if (sql instanceof SQLDataException || sql instanceof SQLIntegrityConstraintViolationException
                || sql instanceof SQLSyntaxErrorException) {
            return Fault.of(FaultKind.VALIDATION, detail);
        }
        return null;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
