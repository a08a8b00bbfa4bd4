package dev.strata.bench.http;

import com.sun.net.httpserver.Headers;
import dev.strata.http.HttpRateLimit;
import dev.strata.http.TrustProxy;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The server-side cost of a per-client limit on one request: the limiter's decision alone (the
 * baseline), the decision plus writing the draft's {@code RateLimit-Policy} / {@code RateLimit}
 * (and {@code Retry-After}) headers into the JDK server's {@link Headers}, admitted and refused,
 * and finding the client behind one trusted proxy. Run with {@code -prof gc} for B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RateLimitBenchmark {

    static final String CLIENT = "203.0.113.9";

    LocalRateLimiter generous;
    LocalRateLimiter exhausted;
    HttpRateLimit admitting;
    HttpRateLimit refusing;
    Headers headers;
    TrustProxy trust;
    InetAddress proxy;
    Function<String, List<String>> forwarded;

    @Setup
    public void setUp() throws Exception {
        generous = LocalRateLimiter.builder("api").algorithm(RateLimitAlgorithm.TOKEN_BUCKET)
                .limit(1_000_000_000L, Duration.ofSeconds(1)).build();
        exhausted = LocalRateLimiter.builder("checkout").algorithm(RateLimitAlgorithm.TOKEN_BUCKET)
                .limit(1, Duration.ofDays(1)).build();
        exhausted.tryAcquire(CLIENT);
        admitting = HttpRateLimit.builder(generous).build();
        refusing = HttpRateLimit.builder(exhausted).build();
        headers = new Headers();
        trust = TrustProxy.cidrs("private");
        proxy = InetAddress.getByName("10.0.0.5");
        List<String> chain = List.of("198.51.100.7, " + CLIENT);
        forwarded = name -> name.equals("X-Forwarded-For") ? chain : null;
    }

    @Benchmark
    public boolean limiterDecisionOnly() {
        return generous.tryAcquire(CLIENT);
    }

    @Benchmark
    public HttpRateLimit.Outcome admittedWithHeaders() {
        headers.clear();
        return admitting.check(CLIENT, headers::set);
    }

    @Benchmark
    public HttpRateLimit.Outcome refusedWithHeaders() {
        headers.clear();
        return refusing.check(CLIENT, headers::set);
    }

    @Benchmark
    public String clientBehindTrustedProxy() {
        return trust.resolve(proxy, forwarded).key();
    }
}
