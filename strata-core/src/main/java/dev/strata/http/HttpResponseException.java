package dev.strata.http;

import dev.strata.fault.HttpStatusException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.time.Duration;

/**
 * A response whose status is a failure (400..599), as {@link StrataHttpClient} reports it: the
 * status is classified by the shared {@link dev.strata.fault.FaultClassifier} (5xx and 429
 * retryable, honouring {@code Retry-After}; any other 4xx never retried), and the exception keeps
 * what a caller needs to act on it without the connection: the response headers and the first
 * bytes of the body. The rest of the body was read and thrown away, so the connection went back
 * to the client's pool.
 */
public class HttpResponseException extends HttpStatusException {

    private final String method;
    private final transient URI uri;
    private final transient HttpHeaders headers;
    private final String bodySnippet;

    /**
     * @param status the failure status, 400..599
     * @param retryAfter the server's {@code Retry-After} after the client's cap, or null
     * @param method the request method
     * @param uri the request URI
     * @param headers the response headers
     * @param bodySnippet the start of the response body, at most the client's snippet limit; may be empty
     * @throws IllegalArgumentException when the status is not a failure status
     */
    public HttpResponseException(int status, Duration retryAfter, String method, URI uri, HttpHeaders headers,
                                 String bodySnippet) {
        super(status, retryAfter, method + " " + uri);
        this.method = method;
        this.uri = uri;
        this.headers = headers;
        this.bodySnippet = bodySnippet == null ? "" : bodySnippet;
    }

    /** The request method, e.g. {@code POST}. */
    public String method() {
        return method;
    }

    /** The request URI. */
    public URI uri() {
        return uri;
    }

    /** The response headers. */
    public HttpHeaders headers() {
        return headers;
    }

    /** The first bytes of the response body decoded as UTF-8; never null, may be empty. */
    public String bodySnippet() {
        return bodySnippet;
    }
}
