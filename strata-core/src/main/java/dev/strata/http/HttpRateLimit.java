package dev.strata.http;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.strata.fault.Fault;
import dev.strata.fault.FaultKind;
import dev.strata.fault.Layer;
import dev.strata.internal.Durations;
import dev.strata.internal.Require;
import dev.strata.observe.BasicEvent;
import dev.strata.observe.EventBus;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimiter;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Rate limiting of incoming HTTP requests per key (usually the client as {@link TrustProxy} finds
 * it) with any {@link RateLimiter}, answering as the IETF httpapi drafts describe:
 * <ul>
 *   <li>a refused request gets {@code 429 Too Many Requests} with {@code Retry-After} in whole
 *       seconds (at least 1) and the {@code RateLimit-Policy} / {@code RateLimit} header fields of
 *       draft-ietf-httpapi-ratelimit-headers ({@code "checkout";q=20;w=60} and
 *       {@code "checkout";r=0;t=3});</li>
 *   <li>an admitted request carries the same two fields, so well-behaved clients can slow down
 *       before they are refused.</li>
 * </ul>
 *
 * <p><b>Bounded decisions.</b> A {@link LocalRateLimiter} decides in memory without blocking and is
 * asked on the server thread. Any other limiter (a shared one over the network) is asked on a
 * virtual thread and waited for at most the {@linkplain Builder#decisionTimeout decision timeout};
 * when it does not answer in time, or fails, the request is let through ({@linkplain
 * Builder#failOpen fail open}, the default) or refused with {@code 503} and {@code Retry-After: 1}
 * (fail closed: the server cannot tell, which is not the client's fault, so not a 429). Either way
 * it is counted ({@link #decisionTimeouts()}, {@link #decisionErrors()}, {@link #failedOpen()},
 * {@link #failedClosed()}); an abandoned decision finishes in the background and its answer is
 * ignored. Each such request is also published as a {@code ratelimit.failed-open} or {@code
 * ratelimit.failed-closed} event: the first of a streak at WARNING, the rest at DEBUG, so the log
 * gets one line per streak, not one per request; the first decision after a streak publishes
 * {@code ratelimit.decisions-resumed} (INFO) with the streak's count.
 *
 * <p>A limiter with a {@linkplain RateLimiter#decisionBound() decision bound} (a Redis limiter's
 * timeout) is waited for longer than that bound: by default the bound plus 50 ms (at least 50 ms),
 * and a decision timeout at or below the bound is refused by {@link Builder#build()}, because the
 * edge would give up before the limiter's own fallback answers and silently admit everything.
 *
 * <p>Framework-neutral: {@link #check(String, BiConsumer)} decides and writes the headers through
 * any setter; {@link #filter(TrustProxy)} and {@link #filter(Function)} are ready-made filters for
 * the JDK's {@link com.sun.net.httpserver.HttpServer}. Thread-safe.
 */
public final class HttpRateLimit {

    /** What happened to one request. */
    public enum Outcome {
        /** Admitted by the limiter. */
        ALLOWED,
        /** Refused by the limiter: answer 429. */
        LIMITED,
        /** The limiter did not answer in time or failed, and the request is let through. */
        FAILED_OPEN,
        /** The limiter did not answer in time or failed, and the request is refused: answer 503. */
        FAILED_CLOSED;

        /** Whether the request may proceed. */
        public boolean admitted() {
            return this == ALLOWED || this == FAILED_OPEN;
        }

        /** The status to answer with when not admitted: 429 or 503; 0 when admitted. */
        public int status() {
            return switch (this) {
                case LIMITED -> 429;
                case FAILED_CLOSED -> 503;
                default -> 0;
            };
        }
    }

    /** Header names of the IETF draft. */
    public static final String RATE_LIMIT_POLICY = "RateLimit-Policy";
    public static final String RATE_LIMIT = "RateLimit";

    private final RateLimiter limiter;
    private final int permits;
    private final long decisionTimeoutNanos;
    private final boolean failOpen;
    private final int ipv6Prefix;
    private final boolean inline;
    private final String policyHeader;
    private final LongAdder allowed = new LongAdder();
    private final LongAdder limited = new LongAdder();
    private final LongAdder failedOpenCount = new LongAdder();
    private final LongAdder failedClosedCount = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final EventBus events;
    private final AtomicLong streak = new AtomicLong(); // requests not decided since the last decision

    private HttpRateLimit(Builder b) {
        this.limiter = b.limiter;
        this.permits = b.permits;
        this.decisionTimeoutNanos = b.effectiveDecisionTimeout().toNanos();
        this.events = b.events;
        this.failOpen = b.failOpen;
        this.ipv6Prefix = b.ipv6Prefix;
        this.inline = b.inline != null ? b.inline : limiter instanceof LocalRateLimiter;
        this.policyHeader = limiter.policy().headerValue();
    }

    /** Starts a request limit on {@code limiter}. */
    public static Builder builder(RateLimiter limiter) {
        return new Builder(limiter);
    }

    /** The limiter asked. */
    public RateLimiter limiter() {
        return limiter;
    }

    /**
     * Decides for one request of {@code key} and writes the response headers through
     * {@code setHeader} (name, value): the two RateLimit fields when the limiter answered, plus
     * {@code Retry-After} when refused. Never blocks longer than the decision timeout.
     */
    public Outcome check(String key, BiConsumer<String, String> setHeader) {
        Require.nonNull("key", key);
        RateLimitDecision decision = new RateLimitDecision();
        Outcome outcome = decide(key, decision);
        switch (outcome) {
            case ALLOWED -> {
                setHeader.accept(RATE_LIMIT_POLICY, policyHeader);
                setHeader.accept(RATE_LIMIT, decision.rateLimitHeader());
            }
            case LIMITED -> {
                setHeader.accept(RATE_LIMIT_POLICY, policyHeader);
                setHeader.accept(RATE_LIMIT, decision.rateLimitHeader());
                setHeader.accept("Retry-After", Long.toString(decision.retryAfterSeconds()));
            }
            case FAILED_CLOSED -> setHeader.accept("Retry-After", "1");
            case FAILED_OPEN -> {
                // no decision to advertise
            }
        }
        return outcome;
    }

    /** Decides for one request of {@code key}, filling {@code into} when the limiter answered. */
    public Outcome decide(String key, RateLimitDecision into) {
        if (inline) {
            return count(limiter.tryAcquire(key, permits, into));
        }
        CompletableFuture<RateLimitDecision> answer = new CompletableFuture<>();
        Thread.ofVirtual().name("strata-ratelimit-decision").start(() -> {
            try {
                RateLimitDecision d = new RateLimitDecision();
                limiter.tryAcquire(key, permits, d);
                answer.complete(d);
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        });
        RateLimitDecision d;
        try {
            d = answer.get(decisionTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException late) {
            timeouts.increment();
            return failed(key, "the limiter did not decide within " + Durations.format(decisionTimeoutNanos));
        } catch (ExecutionException broken) {
            errors.increment();
            return failed(key, "the limiter failed: " + broken.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errors.increment();
            return failed(key, "interrupted while waiting for the limiter");
        }
        long undecided = streak.get();
        if (undecided > 0 && streak.compareAndSet(undecided, 0)) {
            publish(Level.INFO, "ratelimit.decisions-resumed", null, "rate limiter " + limiter.policy().name()
                    + " decides again after " + undecided + " request(s) " + (failOpen ? "let through" : "refused") + " undecided");
        }
        into.set(d.allowed(), d.remaining(), d.retryAfterNanos(), d.resetNanos(), d.policy());
        return count(d.allowed());
    }

    private Outcome count(boolean admitted) {
        if (admitted) {
            allowed.increment();
            return Outcome.ALLOWED;
        }
        limited.increment();
        return Outcome.LIMITED;
    }

    private Outcome failed(String key, String reason) {
        (failOpen ? failedOpenCount : failedClosedCount).increment();
        // the first of a streak is a WARNING (one log line per streak); the rest are DEBUG events
        Level level = streak.getAndIncrement() == 0 ? Level.WARNING : Level.DEBUG;
        if (events.isActive(level)) {
            publish(level, failOpen ? "ratelimit.failed-open" : "ratelimit.failed-closed",
                    Fault.of(FaultKind.RATE_LIMITED, "rate limiter undecided"),
                    (failOpen ? "let through" : "refused with 503") + " a request of key '" + key + "' undecided: " + reason
                            + (level == Level.WARNING ? "; further ones are counted (failedOpen/failedClosed) until it decides again" : ""));
        }
        return failOpen ? Outcome.FAILED_OPEN : Outcome.FAILED_CLOSED;
    }

    private void publish(Level level, String type, Fault fault, String message) {
        events.publish(new BasicEvent(System.currentTimeMillis(), limiter.policy().name(), type, Layer.RESOURCE, level, fault, message));
    }

    /** A filter limiting each client as {@code trust} identifies it. */
    public Filter filter(TrustProxy trust) {
        Require.nonNull("trust", trust);
        return filter(exchange -> trust.resolve(exchange).key(ipv6Prefix));
    }

    /**
     * A filter limiting per the key {@code keyOf} gives each exchange (a client, an API key, a
     * tenant). A refused request is answered here with a small JSON body and does not reach the
     * handler.
     */
    public Filter filter(Function<HttpExchange, String> keyOf) {
        Require.nonNull("keyOf", keyOf);
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                Outcome outcome = check(keyOf.apply(exchange), exchange.getResponseHeaders()::set);
                if (outcome.admitted()) {
                    chain.doFilter(exchange);
                    return;
                }
                refuse(exchange, outcome);
            }

            @Override
            public String description() {
                return "Strata rate limit " + limiter.policy();
            }
        };
    }

    /** Answers a refused exchange with its status and a JSON body, and closes it. */
    public static void refuse(HttpExchange exchange, Outcome outcome) throws IOException {
        try (exchange) {
            String retryAfter = exchange.getResponseHeaders().getFirst("Retry-After");
            String json = outcome == Outcome.LIMITED
                    ? "{\"status\":429,\"error\":\"too many requests\",\"retry_after_seconds\":" + retryAfter + "}"
                    : "{\"status\":503,\"error\":\"rate limiter unavailable\",\"retry_after_seconds\":" + retryAfter + "}";
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(outcome.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Requests admitted by the limiter. */
    public long allowed() {
        return allowed.sum();
    }

    /** Requests refused by the limiter (429). */
    public long limited() {
        return limited.sum();
    }

    /** Requests let through because the limiter did not answer in time or failed. */
    public long failedOpen() {
        return failedOpenCount.sum();
    }

    /** Requests refused (503) because the limiter did not answer in time or failed. */
    public long failedClosed() {
        return failedClosedCount.sum();
    }

    /** Decisions abandoned at the decision timeout. */
    public long decisionTimeouts() {
        return timeouts.sum();
    }

    /** Decisions that failed with an exception. */
    public long decisionErrors() {
        return errors.sum();
    }

    @Override
    public String toString() {
        return "HttpRateLimit[" + limiter.policy() + (inline ? ", inline" : ", decision timeout "
                + Durations.format(decisionTimeoutNanos) + (failOpen ? ", fail open" : ", fail closed")) + "]";
    }

    /** The decision timeout without a limiter bound, and the headroom above one. */
    private static final Duration DEFAULT_DECISION_TIMEOUT = Duration.ofMillis(50);

    /** Configures an {@link HttpRateLimit}. */
    public static final class Builder {
        private final RateLimiter limiter;
        private int permits = 1;
        private Duration decisionTimeout; // null: derived from the limiter's decision bound
        private boolean failOpen = true;
        private int ipv6Prefix = ClientIdentity.DEFAULT_IPV6_PREFIX;
        private EventBus events = EventBus.root();
        private Boolean inline;

        private Builder(RateLimiter limiter) {
            this.limiter = Require.nonNull("limiter", limiter);
        }

        /** Permits each request takes, 1..the policy's burst; default 1. */
        public Builder permits(int permits) {
            this.permits = (int) Require.between("permits", permits, 1L, Math.min(Integer.MAX_VALUE, limiter.policy().burst()));
            return this;
        }

        /**
         * Longest wait for a limiter that is not local, 1ms..10s, and longer than the limiter's
         * {@linkplain RateLimiter#decisionBound() decision bound} when it has one; default 50 ms, or
         * that bound plus 50 ms.
         */
        public Builder decisionTimeout(Duration timeout) {
            this.decisionTimeout = Require.between("decisionTimeout", timeout, Duration.ofMillis(1), Duration.ofSeconds(10));
            return this;
        }

        /**
         * How many leading bits of an IPv6 client's address {@link #filter(TrustProxy)} keys by
         * (16..128, default 64: one subscriber's network; 128: each address).
         */
        public Builder ipv6Prefix(int bits) {
            if (bits < 16 || bits > 128) {
                throw new IllegalArgumentException("ipv6_prefix: " + bits + " is not allowed; allowed 16..128");
            }
            this.ipv6Prefix = bits;
            return this;
        }

        /** Whether a request is let through when the limiter cannot decide in time; default true. */
        public Builder failOpen(boolean failOpen) {
            this.failOpen = failOpen;
            return this;
        }

        /**
         * Whether to ask the limiter on the server thread without a bound; default true only for
         * {@link LocalRateLimiter}, which never blocks. Say false for a limiter that may block.
         */
        public Builder inline(boolean inline) {
            this.inline = inline;
            return this;
        }

        /** Where fail-open / fail-closed events go; default {@link EventBus#root()}. */
        public Builder events(EventBus events) {
            this.events = Require.nonNull("events", events);
            return this;
        }

        /**
         * Builds the limit.
         *
         * @throws IllegalArgumentException when the decision timeout is not longer than the
         *     limiter's decision bound, naming both
         */
        public HttpRateLimit build() {
            Duration bound = limiter.decisionBound();
            if (decisionTimeout != null && bound != null && decisionTimeout.compareTo(bound) <= 0) {
                throw new IllegalArgumentException("decisionTimeout: " + Durations.format(decisionTimeout.toNanos())
                        + " is not longer than the decision bound " + Durations.format(bound.toNanos()) + " of limiter '"
                        + limiter.policy().name() + "' (a Redis limiter's timeout, redis.timeout in a config file): every "
                        + "request slower than the edge's bound would be let through undecided while the limiter's own "
                        + "fallback never engages; allowed more than " + Durations.format(bound.toNanos()) + ", e.g. "
                        + Durations.format(bound.plus(DEFAULT_DECISION_TIMEOUT).toNanos()) + " (the default)");
            }
            return new HttpRateLimit(this);
        }

        Duration effectiveDecisionTimeout() {
            if (decisionTimeout != null) {
                return decisionTimeout;
            }
            Duration bound = limiter.decisionBound();
            return bound == null ? DEFAULT_DECISION_TIMEOUT : bound.plus(DEFAULT_DECISION_TIMEOUT);
        }
    }
}
