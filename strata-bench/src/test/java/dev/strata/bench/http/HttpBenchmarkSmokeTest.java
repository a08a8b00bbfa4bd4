package dev.strata.bench.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.http.HttpRateLimit;
import org.junit.jupiter.api.Test;

/** Runs every HTTP benchmark method a few times outside JMH so the benchmarks cannot rot unnoticed. */
class HttpBenchmarkSmokeTest {

    @Test
    void everyClientVariantFetchesTheBodyFromTheRealServer() throws Exception {
        HttpClientBenchmark benchmark = new HttpClientBenchmark();
        benchmark.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(benchmark.bareHttpClient()).isEqualTo("ok");
                assertThat(benchmark.strataHttpClient()).isEqualTo("ok");
                assertThat(benchmark.strataHttpClientWithDeadline()).isEqualTo("ok");
                assertThat(benchmark.strataAsyncJoinedWithDeadline()).isEqualTo("ok");
            }
        } finally {
            benchmark.tearDown();
        }
    }

    @Test
    void theLimiterVariantsDecideAsTheirNamesSay() throws Exception {
        RateLimitBenchmark benchmark = new RateLimitBenchmark();
        benchmark.setUp();
        assertThat(benchmark.limiterDecisionOnly()).isTrue();
        assertThat(benchmark.admittedWithHeaders()).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
        assertThat(benchmark.headers.getFirst("RateLimit-Policy")).isEqualTo("\"api\";q=1000000000;w=1");
        assertThat(benchmark.refusedWithHeaders()).isEqualTo(HttpRateLimit.Outcome.LIMITED);
        assertThat(benchmark.headers.getFirst("Retry-After")).isNotBlank();
        assertThat(benchmark.clientBehindTrustedProxy()).isEqualTo(RateLimitBenchmark.CLIENT);
    }
}
