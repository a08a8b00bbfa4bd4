package dev.strata.application;

import dev.strata.http.StrataHttpClient;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Gives every dependency that has an HTTP base URL ({@code http.base_url} in the config file,
 * {@link DependencySettings#httpBaseUrl}) its {@link StrataHttpClient}: one per dependency, built
 * on the dependency's own pipeline, with the dependency's per-attempt timeout as the client's
 * attempt timeout and the runtime's clock, closed when the runtime shuts down. Its calls
 * ({@code send}, {@code sendAsync}) are in-flight work of the runtime, like
 * {@link Dependency#execute}: graceful shutdown waits for them, and once the runtime closes its
 * dependencies they are refused with {@link ShuttingDownException}. The runtime
 * registers {@link #factory()} for such dependencies by itself; read the client with
 * {@link Dependency#httpClient()}.
 */
public final class HttpClients {

    /** The attachment key of a dependency's HTTP client. */
    public static final AttachmentKey<StrataHttpClient> KEY = AttachmentKey.of("http", StrataHttpClient.class);

    private HttpClients() {
    }

    /** The default factory: a client for each dependency with a base URL, none for the others. */
    public static AttachmentKey.Factory<StrataHttpClient> factory() {
        return factory(UnaryOperator.identity());
    }

    /**
     * A factory whose clients are adjusted by {@code customize} (a read pipeline for hedging, the
     * connect timeout, the {@code Retry-After} cap); register it with
     * {@link StrataBuilder#attachEverywhere} under {@link #KEY} to replace the default.
     */
    public static AttachmentKey.Factory<StrataHttpClient> factory(UnaryOperator<StrataHttpClient.Builder> customize) {
        Objects.requireNonNull(customize, "customize");
        return dependency -> {
            if (dependency.httpBaseUrl().isEmpty()) {
                return null;
            }
            StrataHttpClient.Builder b = StrataHttpClient.builder(dependency.name())
                    .baseUri(dependency.httpBaseUrl().get())
                    .pipeline(dependency.pipeline())
                    .clock(dependency.runtime().clock())
                    // in-flight work: graceful shutdown waits for these calls; refused once pools close
                    .admission(() -> dependency.runtime().admitCall(dependency.name())::close);
            if (dependency.settings.timeout != null) {
                b.attemptTimeout(dependency.settings.timeout);
            }
            return customize.apply(b).build();
        };
    }
}
