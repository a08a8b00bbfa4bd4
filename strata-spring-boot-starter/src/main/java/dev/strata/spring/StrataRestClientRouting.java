package dev.strata.spring;

import dev.strata.application.Dependency;
import dev.strata.application.Strata;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Routes every {@code RestClient} request whose URI lies under a dependency's {@code http.base_url}
 * (same scheme, host and port, path below the base path) through that dependency's
 * {@code StrataHttpClient}; any other request goes on to the builder's own request factory
 * untouched. Added last to every {@code RestClient.Builder} the context hands out, so the
 * application's own interceptors still run first.
 */
public final class StrataRestClientRouting implements ClientHttpRequestInterceptor {

    private final Strata strata;

    /** Routes to the dependencies of {@code strata}. */
    public StrataRestClientRouting(Strata strata) {
        this.strata = strata;
    }

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution) throws IOException {
        Optional<Dependency> target = dependencyFor(request.getURI());
        if (target.isEmpty()) {
            return execution.execute(request, body);
        }
        return StrataHttpExchange.send(target.get().httpClient(), request.getMethod(), request.getURI(), request.getHeaders(), body);
    }

    /** The dependency whose base URL covers {@code uri}: the longest base path wins. */
    Optional<Dependency> dependencyFor(URI uri) {
        Dependency best = null;
        int bestLength = -1;
        for (Dependency d : strata.dependencies().values()) {
            URI base = d.httpBaseUrl().orElse(null);
            if (base == null || !same(base.getScheme(), uri.getScheme()) || !same(base.getHost(), uri.getHost())
                    || port(base) != port(uri)) {
                continue;
            }
            String basePath = base.getPath() == null || base.getPath().isEmpty() ? "/" : base.getPath();
            String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
            if (path.startsWith(basePath) && basePath.length() > bestLength) {
                best = d;
                bestLength = basePath.length();
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean same(String a, String b) {
        return a != null && a.equalsIgnoreCase(b);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
