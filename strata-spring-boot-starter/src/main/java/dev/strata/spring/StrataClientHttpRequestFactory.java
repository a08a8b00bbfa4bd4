package dev.strata.spring;

import dev.strata.http.StrataHttpClient;
import java.net.URI;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.AbstractBufferingClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A {@link ClientHttpRequestFactory} (in place of {@code JdkClientHttpRequestFactory}) whose every
 * request is one logical call through one dependency's {@link StrataHttpClient}:
 * <pre>{@code
 * RestClient payments = RestClient.builder()
 *     .baseUrl("http://payments:8080")
 *     .requestFactory(new StrataClientHttpRequestFactory(strata.dependency("payments").httpClient()))
 *     .build();
 * }</pre>
 * The request body is buffered (the pipeline may send it more than once). See
 * {@link StrataHttpExchange} for how statuses and failures come back.
 */
public final class StrataClientHttpRequestFactory implements ClientHttpRequestFactory {

    private final StrataHttpClient client;

    /** Requests go through {@code client}. */
    public StrataClientHttpRequestFactory(StrataHttpClient client) {
        this.client = client;
    }

    @Override
    public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
        return new Request(client, uri, httpMethod);
    }

    private static final class Request extends AbstractBufferingClientHttpRequest {
        private final StrataHttpClient client;
        private final URI uri;
        private final HttpMethod method;

        Request(StrataHttpClient client, URI uri, HttpMethod method) {
            this.client = client;
            this.uri = uri;
            this.method = method;
        }

        @Override
        public HttpMethod getMethod() {
            return method;
        }

        @Override
        public URI getURI() {
            return uri;
        }

        @Override
        protected ClientHttpResponse executeInternal(HttpHeaders headers, byte[] bufferedOutput) {
            return StrataHttpExchange.send(client, method, uri, headers, bufferedOutput);
        }
    }
}
