package dev.strata.fault;

import java.time.Duration;

/**
 * Thrown by calling code to report an HTTP response that is a failure, so the status code can
 * be classified: 5xx is a retryable {@link FaultKind#SERVER_ERROR}, 429 is
 * {@link FaultKind#RATE_LIMITED} with the server's {@code Retry-After}, 401/403 are
 * {@link FaultKind#AUTHENTICATION} and any other 4xx is a {@link FaultKind#CLIENT_ERROR}, never
 * retried.
 */
public class HttpStatusException extends RuntimeException {

    private final int status;
    private final Duration retryAfter;

    /**
     * @param status the HTTP status, 400 to 599
     * @param retryAfter the parsed {@code Retry-After} header, or null when absent
     * @throws IllegalArgumentException when the status is not a failure status
     */
    public HttpStatusException(int status, Duration retryAfter, String message) {
        super(message == null ? "HTTP " + status : "HTTP " + status + ": " + message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " is not a failure; allowed 400..599");
        }
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public HttpStatusException(int status) {
        this(status, null, null);
    }

    public int status() {
        return status;
    }

    /** The server's retry-after hint, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
