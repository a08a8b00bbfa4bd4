package dev.strata.http;

import dev.strata.call.Clock;
import dev.strata.fault.FaultClassifier;
import dev.strata.internal.Durations;
import dev.strata.resilience.AttemptTimeoutException;
import dev.strata.resilience.DeadlineExceededException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * How the outcome of one HTTP exchange becomes what a {@link dev.strata.resilience.Pipeline}
 * classifies: a status of 400 or more is an {@link HttpResponseException} (its body drained to a
 * snippet, its {@code Retry-After} capped), and the JDK's request timeout firing is the attempt's
 * own bound ({@link AttemptTimeoutException} or {@link DeadlineExceededException}).
 */
final class HttpFaults {

    /** Status codes as text for the trace, made once instead of once per response. */
    private static final String[] STATUS_TEXT = new String[600];

    static {
        for (int status = 100; status < STATUS_TEXT.length; status++) {
            STATUS_TEXT[status] = Integer.toString(status);
        }
    }

    private HttpFaults() {
    }

    /** {@code status} as the trace records it. */
    static String statusText(int status) {
        return status >= 100 && status < STATUS_TEXT.length ? STATUS_TEXT[status] : Integer.toString(status);
    }

    /**
     * The failure of a response whose status is 400 or more, with the first bytes of its body
     * and its {@code Retry-After} hint (either RFC 9110 form, read against {@code clock}) capped
     * at {@code maxRetryAfterNanos}.
     */
    static HttpResponseException statusFailure(HttpResponse<?> response, String method, String snippet,
                                               long maxRetryAfterNanos, Clock clock) {
        Duration retryAfter = response.headers().firstValue("Retry-After")
                .map(value -> FaultClassifier.parseRetryAfter(value, clock.currentTimeMillis()))
                .map(hint -> Durations.saturatedNanos(hint) > maxRetryAfterNanos ? Duration.ofNanos(maxRetryAfterNanos) : hint)
                .orElse(null);
        return new HttpResponseException(response.statusCode(), retryAfter, method, response.uri(), response.headers(), snippet);
    }

    /**
     * The JDK's request timeout is the attempt's bound, so its firing is reported as the bound's
     * own failure whichever timer noticed first; a connect timeout stays what it is, and so does
     * the firing of a stricter timeout the caller set on {@code request}.
     */
    static Throwable ownBound(Throwable failure, HttpRequest request, String dependency, long bound, boolean byDeadline) {
        Duration own = request.timeout().orElse(null);
        if (own != null && own.toNanos() < bound) {
            return failure; // the caller's own, stricter timeout fired: a read timeout as the JDK says
        }
        if (failure instanceof HttpTimeoutException && !(failure instanceof HttpConnectTimeoutException)) {
            RuntimeException exceeded = exceeded(dependency, bound, byDeadline);
            exceeded.addSuppressed(failure);
            return exceeded;
        }
        return failure;
    }

    /** The failure of an attempt cut at its bound of {@code bound} nanoseconds. */
    static RuntimeException exceeded(String dependency, long bound, boolean byDeadline) {
        if (byDeadline) {
            return new DeadlineExceededException(dependency, "HTTP attempt cut at the deadline",
                    "the deadline passed during the exchange (" + Durations.format(bound) + " were left)", null);
        }
        return new AttemptTimeoutException(dependency, bound);
    }

    /** The failure inside the wrappers a future completes with. */
    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /**
     * The body handler of one attempt: the caller's for a success, a drain that keeps the first
     * bytes for a failure status (400 and above).
     */
    static final class Exchange<T> implements BodyHandler<T> {
        private final BodyHandler<T> handler;
        private final int snippetBytes;
        volatile String snippet = "";

        Exchange(BodyHandler<T> handler, int snippetBytes) {
            this.handler = handler;
            this.snippetBytes = snippetBytes;
        }

        @Override
        public BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
            if (info.statusCode() < 400) {
                return handler.apply(info);
            }
            return BodySubscribers.mapping(new Snippet(snippetBytes), text -> {
                snippet = text;
                return null;
            });
        }
    }

    /**
     * Reads a body to its end, keeping at most {@code limit} bytes as UTF-8 text and discarding
     * the rest: reading to the end is what lets the JDK reuse the connection.
     */
    static final class Snippet implements BodySubscriber<String> {
        private final byte[] kept;
        private int size;
        private final CompletableFuture<String> body = new CompletableFuture<>();

        Snippet(int limit) {
            this.kept = new byte[limit];
        }

        @Override
        public CompletionStage<String> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer buffer : items) {
                int take = Math.min(buffer.remaining(), kept.length - size);
                buffer.get(kept, size, take);
                size += take;
                buffer.position(buffer.limit()); // the rest is discarded
            }
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.complete(new String(kept, 0, size, StandardCharsets.UTF_8));
        }
    }
}
