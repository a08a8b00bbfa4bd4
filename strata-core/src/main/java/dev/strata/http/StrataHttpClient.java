package dev.strata.http;

import dev.strata.call.CallContext;
import dev.strata.call.Clock;
import dev.strata.fault.FaultClassifier;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.resilience.AttemptTimeoutException;
import dev.strata.resilience.DeadlineExceededException;
import dev.strata.resilience.Pipeline;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.time.Duration;
import java.util.Objects;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link HttpClient} for one dependency whose every request is a logical call through that
 * dependency's {@link Pipeline}: deadline, breaker, retry with backoff, hedge, timeout, bulkhead
 * and fallback apply as they do to any other call, and each attempt is one HTTP exchange.
 *
 * <h2>Time</h2>
 * Each attempt is bounded by the smaller of the client's {@linkplain Builder#attemptTimeout
 * attempt timeout} and the time left on the call's deadline. That bound is the JDK request's
 * {@link HttpRequest#timeout() timeout} (which covers connecting and waiting for the response
 * headers) and also bounds the whole attempt, body included, from the caller's side: when it
 * passes, the exchange is cancelled (the JDK closes its connection) and the attempt fails with
 * {@link AttemptTimeoutException}, or {@link DeadlineExceededException} when the deadline was the
 * smaller bound. The connect timeout is set on the JDK client and is the smaller of it and the
 * request timeout.
 *
 * <p>What the JDK does not let us bound separately: the JDK client resolves host names with
 * {@link java.net.InetAddress} (the JVM-wide cache and {@code networkaddress.cache.ttl}) before its
 * connect timer starts, and offers no per-client resolver, so DNS is neither under the connect
 * timeout nor under Strata's {@link dev.strata.network.Resolver}. It is still under the attempt's
 * overall bound above: a hung lookup fails the attempt at the bound, although the JDK thread doing
 * the lookup finishes it in the background.
 *
 * <h2>Statuses</h2>
 * A response with a status of 400 or more is an {@link HttpResponseException}, classified by the
 * shared {@link FaultClassifier}: 5xx and 429 are retryable, honouring {@code Retry-After} in both
 * RFC 9110 forms (seconds and HTTP-date) up to {@linkplain Builder#maxRetryAfter a cap}; 408 is a
 * timeout; any other 4xx is never retried. The body of such a response is read to its end and
 * discarded (its first bytes kept in the exception), so the connection goes back to the JDK's
 * pool instead of being held or closed. Responses below 400 go to the caller's body handler.
 *
 * <h2>Idempotency</h2>
 * GET, HEAD, PUT, DELETE, OPTIONS and TRACE are idempotent (RFC 9110) and retried as the pipeline
 * allows. POST and PATCH are not: the client gives such a call an {@code Idempotency-Key} header
 * (draft-ietf-httpapi-idempotency-key-header: a structured-field string, here a random UUID),
 * generated once per logical call and sent unchanged on every attempt, so the server can
 * recognise a repeat and the pipeline may retry. A request that already carries the header keeps
 * its own key. With {@link Builder#idempotencyKeys(boolean) idempotencyKeys(false)} a POST is
 * attempted exactly once. For full control pass a {@link CallContext} to
 * {@link #send(CallContext, HttpRequest, BodyHandler)}.
 *
 * <h2>Hedging</h2>
 * The pipeline hedges every call that is safe to repeat, and a keyed POST is safe to repeat in
 * sequence but should not run twice at once (the draft lets a server answer 409 to a concurrent
 * repeat). Give the hedged pipeline as {@link Builder#readPipeline(Pipeline)}: it then serves the
 * idempotent methods only, and POST/PATCH use the main pipeline.
 *
 * <p>Instances are thread-safe; build one per dependency and {@linkplain #close() close} it on
 * shutdown (it closes the JDK client it created, not one it was given).
 */
public final class StrataHttpClient implements AutoCloseable {

    /** The request header carrying the idempotency key. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /**
     * Counts a logical call as in-flight work of an owner (a runtime whose graceful shutdown waits
     * for it). {@link #admit} runs on the caller's thread before the call starts; it refuses by
     * throwing (e.g. {@code ShuttingDownException}); the returned release runs exactly once when
     * the call ends, successfully or not.
     */
    @FunctionalInterface
    public interface Admission {
        /** Admits one call; returns what to run when it ends. */
        Runnable admit();
    }

    private final URI baseUri;
    private final boolean ownsClient;
    // Read by each HttpCall: the settings of this client's calls and attempts.
    final String dependency;
    final HttpClient http;
    final Pipeline pipeline;
    final Pipeline readPipeline;
    final long attemptTimeoutNanos;
    final long maxRetryAfterNanos;
    final int snippetBytes;
    final boolean idempotencyKeys;
    final Supplier<String> keyGenerator;
    final Clock clock;
    private final Admission admission;

    private StrataHttpClient(Builder b) {
        this.admission = b.admission;
        this.dependency = b.dependency;
        this.baseUri = b.baseUri;
        this.pipeline = b.pipeline != null ? b.pipeline : Pipeline.builder(b.dependency).build();
        this.readPipeline = b.readPipeline != null ? b.readPipeline : pipeline;
        this.attemptTimeoutNanos = b.attemptTimeout.toNanos();
        this.maxRetryAfterNanos = b.maxRetryAfter.toNanos();
        this.snippetBytes = b.snippetBytes;
        this.idempotencyKeys = b.idempotencyKeys;
        this.keyGenerator = b.keyGenerator;
        this.clock = b.clock;
        if (b.httpClient != null) {
            this.http = b.httpClient;
            this.ownsClient = false;
        } else {
            this.http = HttpClient.newBuilder()
                    .connectTimeout(b.connectTimeout)
                    .version(b.version)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            this.ownsClient = true;
        }
    }

    /** Starts a client for the named dependency. */
    public static Builder builder(String dependency) {
        return new Builder(dependency);
    }

    /** The dependency's name. */
    public String dependency() {
        return dependency;
    }

    /** The JDK client every attempt goes through. */
    public HttpClient httpClient() {
        return http;
    }

    /** The pipeline of non-idempotent methods (and of all methods without a read pipeline). */
    public Pipeline pipeline() {
        return pipeline;
    }

    /**
     * A request builder for {@code path} resolved against the base URI.
     *
     * @throws IllegalStateException when the client has no base URI
     */
    public HttpRequest.Builder request(String path) {
        if (baseUri == null) {
            throw new IllegalStateException("client '" + dependency + "' has no baseUri; build requests with a full URI");
        }
        return HttpRequest.newBuilder(baseUri.resolve(Require.nonNull("path", path)));
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends {@code request} as one logical call through the pipeline and returns the response of
     * the attempt that succeeded.
     *
     * @throws HttpResponseException when the final attempt answered 400 or more (or the first, when not retried)
     * @throws RuntimeException as {@link Pipeline} documents: retries exhausted, deadline exceeded,
     *     circuit open, bulkhead full; an attempt's {@link IOException} is wrapped with its fault
     */
    public <T> StrataHttpResponse<T> send(HttpRequest request, BodyHandler<T> handler) {
        return send(null, request, handler);
    }

    /**
     * Like {@link #send(HttpRequest, BodyHandler)} under a context of the caller's: its
     * idempotency decides whether attempts may repeat, its idempotency key (if any) is sent on
     * every attempt, and its {@link CallContext#trace() trace} is readable even when the call fails.
     *
     * @param context the call's context, or null to derive one from the request method
     */
    public <T> StrataHttpResponse<T> send(CallContext context, HttpRequest request, BodyHandler<T> handler) {
        HttpCall<T> call = new HttpCall<>(this, request, handler, context);
        Runnable release = admission.admit();
        try {
            HttpResponse<T> response = call.pipeline.execute(call.context, call); // bounds itself: runs on this thread
            return call.wrap(response);
        } finally {
            release.run();
        }
    }

    /**
     * Sends {@code request} as one asynchronous logical call; no thread waits for it. Cancelling
     * the returned future cancels the exchange in flight.
     *
     * @return a future completing with the response, or with the failures {@link #send} throws
     */
    public <T> CompletableFuture<StrataHttpResponse<T>> sendAsync(HttpRequest request, BodyHandler<T> handler) {
        return sendAsync(null, request, handler);
    }

    /** Like {@link #sendAsync(HttpRequest, BodyHandler)} under a context of the caller's; see {@link #send(CallContext, HttpRequest, BodyHandler)}. */
    public <T> CompletableFuture<StrataHttpResponse<T>> sendAsync(CallContext context, HttpRequest request,
                                                                  BodyHandler<T> handler) {
        HttpCall<T> call;
        try {
            call = new HttpCall<>(this, request, handler, context);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Runnable release;
        CompletableFuture<HttpResponse<T>> outcome;
        try {
            release = admission.admit();
        } catch (RuntimeException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        try {
            outcome = call.pipeline.executeAsync(call.context, call::attemptAsync);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        outcome.whenComplete((response, failure) -> release.run()); // once: the call ended, however
        CompletableFuture<StrataHttpResponse<T>> result = new CompletableFuture<>();
        outcome.whenComplete((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(HttpFaults.unwrap(failure));
            } else {
                result.complete(call.wrap(response));
            }
        });
        result.whenComplete((r, f) -> {
            if (result.isCancelled()) {
                outcome.cancel(true);
            }
        });
        return result;
    }

    /**
     * One attempt, for code whose own pipeline runs the logical call ({@code pipeline.execute(ctx,
     * () -> client.attempt(request, handler))}): bounded by the current deadline and the attempt
     * timeout, statuses classified into {@link HttpResponseException}, a failed body drained, the
     * exchange recorded in the current context's trace. The current context's idempotency key is
     * sent (unless the request carries its own); without a current context nothing is generated,
     * since one attempt cannot know which logical call it belongs to. This client's pipeline is
     * not used.
     *
     * @throws HttpResponseException for a status of 400 or more
     * @throws IOException when the exchange failed on the wire
     * @throws InterruptedException when interrupted; the exchange is cancelled
     */
    public <T> HttpResponse<T> attempt(HttpRequest request, BodyHandler<T> handler) throws IOException, InterruptedException {
        CallContext current = CallContext.current();
        HttpCall<T> call = new HttpCall<>(this, request, handler, current != null ? current : CallContext.nonIdempotent(dependency, null));
        return call.attempt();
    }

    /** How long {@link #close()} waits for open exchanges before it aborts them. */
    static final Duration DEFAULT_CLOSE_WAIT = Duration.ofSeconds(10);

    /**
     * Closes the JDK client when this client created it, waiting at most 10 s for open exchanges;
     * see {@link #close(Duration)}. A client passed to the builder stays open.
     */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_WAIT);
    }

    /**
     * Closes the JDK client when this client created it, bounded by {@code wait}: stops taking new
     * exchanges, waits up to {@code wait} for open ones (a streamed body nobody reads never ends,
     * and the JDK's own {@code close()} would wait for it without bound), then aborts what is left.
     * A client passed to the builder stays open.
     *
     * @return whether every exchange ended within {@code wait} (true as well when nothing is owned)
     */
    public boolean close(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        if (!ownsClient) {
            return true;
        }
        http.shutdown();
        boolean ended;
        try {
            ended = http.awaitTermination(wait.isNegative() ? Duration.ZERO : wait);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            ended = false;
        }
        if (!ended) {
            http.shutdownNow(); // aborts open exchanges: their connections are closed, their bodies fail
        }
        return ended;
    }

    @Override
    public String toString() {
        return "StrataHttpClient[" + dependency + (baseUri == null ? "" : ", " + baseUri) + ", attempt timeout "
                + Durations.format(attemptTimeoutNanos) + ", " + pipeline + "]";
    }

    /** The key as the draft sends it: a structured-field string (quoted, with {@code \} and {@code "} escaped). */
    static String quoted(String key) {
        StringBuilder s = new StringBuilder(key.length() + 2).append('"');
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '"' || c == '\\') {
                s.append('\\');
            }
            s.append(c);
        }
        return s.append('"').toString();
    }

    /** The key inside a structured-field string; a bare token (as some servers expect) is taken as it is. */
    static String unquoted(String header) {
        String h = header.trim();
        if (h.length() < 2 || h.charAt(0) != '"' || h.charAt(h.length() - 1) != '"') {
            return h;
        }
        StringBuilder s = new StringBuilder(h.length());
        for (int i = 1; i < h.length() - 1; i++) {
            char c = h.charAt(i);
            if (c == '\\' && i + 1 < h.length() - 1) {
                c = h.charAt(++i);
            }
            s.append(c);
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ builder

    /** Configures a {@link StrataHttpClient}; validated when set, defaults documented per setter. */
    public static final class Builder {
        private final String dependency;
        private URI baseUri;
        private HttpClient httpClient;
        private Pipeline pipeline;
        private Pipeline readPipeline;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration attemptTimeout = Duration.ofSeconds(10);
        private Duration maxRetryAfter = Duration.ofSeconds(30);
        private int snippetBytes = 1024;
        private boolean idempotencyKeys = true;
        private Supplier<String> keyGenerator = () -> UUID.randomUUID().toString();
        private HttpClient.Version version = HttpClient.Version.HTTP_1_1;
        private Clock clock = Clock.system();
        private Admission admission = () -> () -> { };

        private Builder(String dependency) {
            this.dependency = Require.notBlank("dependency", dependency);
        }

        /** Base for {@link StrataHttpClient#request(String)}: an absolute http or https URI. */
        public Builder baseUri(URI baseUri) {
            Require.nonNull("baseUri", baseUri);
            String scheme = baseUri.getScheme() == null ? "" : baseUri.getScheme().toLowerCase(Locale.ROOT);
            if (!baseUri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || baseUri.getHost() == null) {
                throw new IllegalArgumentException("baseUri: '" + baseUri + "' is not allowed; must be an absolute http:// or https:// URI with a host");
            }
            this.baseUri = baseUri;
            return this;
        }

        /** Base URI as a string; see {@link #baseUri(URI)}. */
        public Builder baseUri(String baseUri) {
            try {
                return baseUri(URI.create(Require.notBlank("baseUri", baseUri)));
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("baseUri")) {
                    throw e;
                }
                throw new IllegalArgumentException("baseUri: '" + baseUri + "' is not a URI: " + e.getMessage(), e);
            }
        }

        /** The dependency's pipeline; default an empty one (no retry, no deadline). */
        public Builder pipeline(Pipeline pipeline) {
            this.pipeline = Require.nonNull("pipeline", pipeline);
            return this;
        }

        /**
         * A pipeline for the idempotent methods only, typically the main one plus a hedge (sharing
         * its breaker and budget); default the main pipeline.
         */
        public Builder readPipeline(Pipeline readPipeline) {
            this.readPipeline = Require.nonNull("readPipeline", readPipeline);
            return this;
        }

        /**
         * A JDK client of the caller's instead of one built here. It must have a connect timeout,
         * or a stalled connect would wait for the attempt bound; it is not closed by {@link #close()}.
         *
         * @throws IllegalArgumentException when it has no connect timeout
         */
        public Builder httpClient(HttpClient httpClient) {
            Require.nonNull("httpClient", httpClient);
            if (httpClient.connectTimeout().isEmpty()) {
                throw new IllegalArgumentException("httpClient: has no connectTimeout; allowed: a client built with"
                        + " HttpClient.Builder.connectTimeout(..)");
            }
            this.httpClient = httpClient;
            return this;
        }

        /** Connect timeout of the client built here, 1ms..1min; default 2s. Never longer than the attempt's bound. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Require.between("connectTimeout", connectTimeout, Duration.ofMillis(1), Duration.ofMinutes(1));
            return this;
        }

        /**
         * Longest time one attempt may take, from sending to the end of the body, 1ms..1h;
         * default 10s. The deadline's time left shortens it. Set it to the pipeline's timeout
         * when the pipeline has one (the smaller of the two applies either way).
         */
        public Builder attemptTimeout(Duration attemptTimeout) {
            this.attemptTimeout = Require.between("attemptTimeout", attemptTimeout, Duration.ofMillis(1), Duration.ofHours(1));
            return this;
        }

        /**
         * Cap on a server's {@code Retry-After}, 0..1h; default 30s. A longer hint waits the cap;
         * a hint longer than the deadline's time left ends the call at once instead of waiting.
         */
        public Builder maxRetryAfter(Duration maxRetryAfter) {
            this.maxRetryAfter = Require.between("maxRetryAfter", maxRetryAfter, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        /** Bytes of a failure response's body kept in the {@link HttpResponseException}, 0..64 KiB; default 1024. */
        public Builder errorBodySnippet(int bytes) {
            this.snippetBytes = Require.between("errorBodySnippet", bytes, 0, 64 * 1024);
            return this;
        }

        /** Whether POST/PATCH without a key get a generated {@code Idempotency-Key}; default true. */
        public Builder idempotencyKeys(boolean generate) {
            this.idempotencyKeys = generate;
            return this;
        }

        /** Generates keys (one per logical call); default random UUIDs. Each key must be non-blank. */
        public Builder idempotencyKeyGenerator(Supplier<String> generator) {
            Supplier<String> g = Require.nonNull("idempotencyKeyGenerator", generator);
            this.keyGenerator = () -> Require.notBlank("idempotencyKey", g.get());
            return this;
        }

        /** HTTP version of the client built here; default HTTP/1.1 (plain-text HTTP/2 upgrades cost a round trip). */
        public Builder version(HttpClient.Version version) {
            this.version = Require.nonNull("version", version);
            return this;
        }

        /** The wall clock used to read {@code Retry-After} dates; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Require.nonNull("clock", clock);
            return this;
        }

        /**
         * Counts each logical call ({@code send}, {@code sendAsync}) as in-flight work of an owner,
         * and lets the owner refuse calls; default: nothing is counted. {@link #attempt} is not
         * counted (the caller's own pipeline runs the logical call). A runtime's dependency clients
         * ({@code Dependency.httpClient()}) are admitted by the runtime.
         */
        public Builder admission(Admission admission) {
            this.admission = Require.nonNull("admission", admission);
            return this;
        }

        public StrataHttpClient build() {
            return new StrataHttpClient(this);
        }
    }
}
