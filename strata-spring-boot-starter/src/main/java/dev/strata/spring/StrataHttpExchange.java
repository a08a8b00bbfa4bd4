package dev.strata.spring;

import dev.strata.http.HttpResponseException;
import dev.strata.http.StrataHttpClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/**
 * One exchange of Spring's HTTP client abstraction sent as one logical call through a dependency's
 * {@link StrataHttpClient}: its pipeline (deadline, breaker, retry of idempotent or keyed requests,
 * per-attempt timeout), its classification of status codes and its idempotency keys.
 *
 * <p>An answer of 400 or more is returned to the caller as a response, as Spring's own request
 * factories do, so {@code RestClient}'s status handlers apply; its body is the snippet the client
 * kept. Failures the pipeline decides (circuit open, deadline exceeded, retries exhausted, bulkhead
 * full) are thrown as Strata's exceptions, each carrying its layer.
 */
final class StrataHttpExchange {

    /** Headers the JDK client sets itself and refuses to take. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private StrataHttpExchange() {
    }

    static ClientHttpResponse send(StrataHttpClient client, HttpMethod method, URI uri, HttpHeaders headers, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(method.name(),
                body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
            }
        });
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers().map(), response.body());
        } catch (HttpResponseException status) {
            String snippet = status.bodySnippet() == null ? "" : status.bodySnippet();
            return new Response(status.status(), status.headers().map(), snippet.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final class Response implements ClientHttpResponse {
        private final int status;
        private final HttpHeaders headers = new HttpHeaders();
        private final byte[] body;

        Response(int status, Map<String, List<String>> headers, byte[] body) {
            this.status = status;
            headers.forEach((name, values) -> {
                if (!name.startsWith(":")) { // HTTP/2 pseudo headers
                    this.headers.addAll(name, values);
                }
            });
            this.body = body == null ? new byte[0] : body;
        }

        @Override
        public HttpStatusCode getStatusCode() {
            return HttpStatusCode.valueOf(status);
        }

        @Override
        public String getStatusText() {
            return "";
        }

        @Override
        public HttpHeaders getHeaders() {
            return headers;
        }

        @Override
        public InputStream getBody() {
            return new ByteArrayInputStream(body);
        }

        @Override
        public void close() {
            // the body was read whole by the JDK client; nothing stays open
        }
    }
}
