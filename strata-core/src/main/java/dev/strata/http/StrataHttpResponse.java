package dev.strata.http;

import dev.strata.call.LayerTrace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The JDK response of the attempt that succeeded, plus what the logical call around it did: its
 * {@link LayerTrace} (every attempt, backoff and HTTP exchange, with durations and outcomes), the
 * number of attempts and the idempotency key sent, if any.
 *
 * @param <T> the body type of the body handler
 */
public final class StrataHttpResponse<T> implements HttpResponse<T> {

    private final HttpResponse<T> response;
    private final LayerTrace trace;
    private final int attempts;
    private final String idempotencyKey;

    StrataHttpResponse(HttpResponse<T> response, LayerTrace trace, int attempts, String idempotencyKey) {
        this.response = response;
        this.trace = trace;
        this.attempts = attempts;
        this.idempotencyKey = idempotencyKey;
    }

    /** What the logical call spent on each layer, attempt by attempt. */
    public LayerTrace trace() {
        return trace;
    }

    /** How many attempts the call made, the successful one included. */
    public int attempts() {
        return attempts;
    }

    /** The idempotency key sent on every attempt, or empty when the request carried none. */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** The JDK's own response object. */
    public HttpResponse<T> unwrap() {
        return response;
    }

    @Override
    public int statusCode() {
        return response.statusCode();
    }

    @Override
    public HttpRequest request() {
        return response.request();
    }

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
        return response.previousResponse();
    }

    @Override
    public HttpHeaders headers() {
        return response.headers();
    }

    @Override
    public T body() {
        return response.body();
    }

    @Override
    public Optional<SSLSession> sslSession() {
        return response.sslSession();
    }

    @Override
    public URI uri() {
        return response.uri();
    }

    @Override
    public HttpClient.Version version() {
        return response.version();
    }

    @Override
    public String toString() {
        return "StrataHttpResponse[" + response + ", attempts " + attempts + "]";
    }
}
