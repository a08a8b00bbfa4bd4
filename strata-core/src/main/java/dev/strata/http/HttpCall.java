package dev.strata.http;

import dev.strata.call.CallContext;
import dev.strata.call.Deadline;
import dev.strata.fault.FaultClassifier;
import dev.strata.fault.Layer;
import dev.strata.internal.Require;
import dev.strata.internal.SelfBoundedAttempt;
import dev.strata.resilience.DeadlineExceededException;
import dev.strata.resilience.Pipeline;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One logical call of a {@link StrataHttpClient}: the request with its idempotency key, the
 * context, and the pipeline that runs it; and each attempt of it, one HTTP exchange bounded by the
 * smaller of the attempt timeout and the deadline's time left (the client's "Time" section), its
 * outcome read by {@link HttpFaults}.
 */
final class HttpCall<T> implements SelfBoundedAttempt<HttpResponse<T>> {

    private static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

    private final StrataHttpClient client;
    private final HttpRequest request;
    private final BodyHandler<T> handler;
    final CallContext context;
    final Pipeline pipeline;
    private final String keyHeader;
    private final String existingKey;
    private final String phase;

    HttpCall(StrataHttpClient client, HttpRequest request, BodyHandler<T> handler, CallContext given) {
        this.client = client;
        String dependency = client.dependency;
        Require.nonNull("request", request);
        this.handler = Require.nonNull("handler", handler);
        String method = request.method().toUpperCase(Locale.ROOT);
        boolean idempotentMethod = IDEMPOTENT_METHODS.contains(method);
        String existing = request.headers().firstValue(StrataHttpClient.IDEMPOTENCY_KEY).orElse(null);
        this.existingKey = existing;
        this.phase = "http " + method;
        if (given != null) {
            this.context = given;
            String key = given.idempotencyKey();
            this.keyHeader = key == null ? existing : existing != null ? existing : StrataHttpClient.quoted(key);
        } else if (idempotentMethod) {
            this.context = CallContext.idempotent(dependency);
            this.keyHeader = existing;
        } else if (existing != null) {
            this.context = CallContext.nonIdempotent(dependency, StrataHttpClient.unquoted(existing));
            this.keyHeader = existing;
        } else if (client.idempotencyKeys) {
            String key = client.keyGenerator.get();
            this.context = CallContext.nonIdempotent(dependency, key);
            this.keyHeader = StrataHttpClient.quoted(key);
        } else {
            this.context = CallContext.nonIdempotent(dependency, null);
            this.keyHeader = null;
        }
        this.request = request;
        this.pipeline = idempotentMethod && context.isIdempotent() ? client.readPipeline : client.pipeline;
    }

    /** One synchronous attempt: the exchange, bounded as the client's class documentation says. */
    HttpResponse<T> attempt() throws IOException, InterruptedException {
        long deadlineLeft = Deadline.remainingNanosOr(Long.MAX_VALUE);
        if (deadlineLeft == 0) {
            throw new DeadlineExceededException(client.dependency, "no time left for an HTTP attempt",
                    "deadline passed before the request was sent", null);
        }
        boolean byDeadline = deadlineLeft < client.attemptTimeoutNanos;
        return exchange(byDeadline ? deadlineLeft : client.attemptTimeoutNanos, byDeadline, null);
    }

    @Override
    public HttpResponse<T> call() throws IOException, InterruptedException {
        return attempt();
    }

    /**
     * The attempt under the pipeline's bound (its timeout or the deadline's time left), run on the
     * caller's thread: the exchange keeps the bound itself. The client's own attempt timeout
     * still applies when it is shorter, as its own timeout (the pipeline's did not fire).
     */
    @Override
    public HttpResponse<T> callWithin(long boundNanos, boolean byDeadline, Runnable fired)
            throws IOException, InterruptedException {
        return client.attemptTimeoutNanos < boundNanos ? exchange(client.attemptTimeoutNanos, false, null)
                : exchange(boundNanos, byDeadline, fired);
    }

    /** The exchange within {@code bound}; at the bound {@code fired} (if any) runs before the timeout is thrown. */
    private HttpResponse<T> exchange(long bound, boolean byDeadline, Runnable fired) throws IOException, InterruptedException {
        HttpFaults.Exchange<T> exchange = new HttpFaults.Exchange<>(handler, client.snippetBytes);
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<T>> sent = client.http.sendAsync(requestFor(bound), exchange);
        HttpResponse<T> response;
        try {
            response = sent.get(bound, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            sent.cancel(true); // the JDK aborts the exchange and closes its connection
            if (fired != null) {
                fired.run();
            }
            throw record(start, HttpFaults.exceeded(client.dependency, bound, byDeadline));
        } catch (InterruptedException e) {
            sent.cancel(true); // the pipeline's own timeout fired, or the caller gave up
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = HttpFaults.ownBound(e.getCause(), request, client.dependency, bound, byDeadline);
            if (fired != null && cause != e.getCause()) {
                fired.run(); // the JDK's request timeout (set to the bound) fired just before ours
            }
            record(start, cause);
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
        return checked(response, exchange, start);
    }

    /** One asynchronous attempt, bounded the same way without blocking a thread. */
    CompletableFuture<HttpResponse<T>> attemptAsync() {
        long deadlineLeft = Deadline.remainingNanosOr(Long.MAX_VALUE); // the pipeline made the deadline current
        if (deadlineLeft == 0) {
            return CompletableFuture.failedFuture(new DeadlineExceededException(client.dependency,
                    "no time left for an HTTP attempt", "deadline passed before the request was sent", null));
        }
        boolean byDeadline = deadlineLeft < client.attemptTimeoutNanos;
        long bound = byDeadline ? deadlineLeft : client.attemptTimeoutNanos;
        HttpFaults.Exchange<T> exchange = new HttpFaults.Exchange<>(handler, client.snippetBytes);
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<T>> sent = client.http.sendAsync(requestFor(bound), exchange);
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        sent.copy().orTimeout(bound, TimeUnit.NANOSECONDS).whenComplete((response, failure) -> {
            if (failure == null) {
                try {
                    result.complete(checked(response, exchange, start));
                } catch (HttpResponseException e) {
                    result.completeExceptionally(e);
                }
                return;
            }
            Throwable cause = HttpFaults.ownBound(HttpFaults.unwrap(failure), request, client.dependency, bound, byDeadline);
            if (cause instanceof TimeoutException) {
                sent.cancel(true);
                cause = HttpFaults.exceeded(client.dependency, bound, byDeadline);
            }
            result.completeExceptionally(record(start, cause));
        });
        result.whenComplete((r, f) -> {
            if (result.isCancelled()) {
                sent.cancel(true); // the pipeline's timeout or the caller cancelled this attempt
            }
        });
        return result;
    }

    /**
     * The request of one attempt: the caller's, with this attempt's bound as its timeout (a
     * stricter timeout of the caller's own is kept) and the call's key. The caller's request
     * is sent as it is when it needs neither, which saves copying its headers.
     */
    private HttpRequest requestFor(long boundNanos) {
        Duration own = request.timeout().orElse(null);
        boolean ownIsStricter = own != null && own.toNanos() <= boundNanos;
        if (ownIsStricter && (keyHeader == null || keyHeader.equals(existingKey))) {
            return request;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> true)
                .timeout(ownIsStricter ? own : Duration.ofNanos(boundNanos));
        if (keyHeader != null) {
            b.setHeader(StrataHttpClient.IDEMPOTENCY_KEY, keyHeader);
        }
        return b.build();
    }

    private <X extends Throwable> X record(long start, X failure) {
        context.trace().record(Layer.REMOTE, phase, System.nanoTime() - start,
                FaultClassifier.DEFAULT.classify(failure).toString());
        return failure;
    }

    /** The response if its status is not a failure; otherwise the failure, its body already drained. */
    private HttpResponse<T> checked(HttpResponse<T> response, HttpFaults.Exchange<T> exchange, long start) {
        int status = response.statusCode();
        context.trace().record(Layer.REMOTE, phase, System.nanoTime() - start, HttpFaults.statusText(status));
        if (status < 400) {
            return response;
        }
        throw HttpFaults.statusFailure(response, request.method(), exchange.snippet, client.maxRetryAfterNanos, client.clock);
    }

    StrataHttpResponse<T> wrap(HttpResponse<T> response) {
        return new StrataHttpResponse<>(response, context.trace(), Math.max(1, context.attempt()),
                keyHeader == null ? null : StrataHttpClient.unquoted(keyHeader));
    }
}
