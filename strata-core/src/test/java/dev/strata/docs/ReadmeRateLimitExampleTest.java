package dev.strata.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.resilience.Pipeline;
import dev.strata.ratelimit.LocalRateLimiter;
import dev.strata.ratelimit.RateLimitAlgorithm;
import dev.strata.ratelimit.RateLimitDecision;
import dev.strata.ratelimit.RateLimitedException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's per-client rate limit and client-side throttling examples, kept compiling and true. */
class ReadmeRateLimitExampleTest {

    /** What a handler would do: returns the status and fills the response headers. */
    static int handle(LocalRateLimiter perClient, String clientIp, Map<String, String> headers) {
        // --- README: per-client limit ---
        RateLimitDecision decision = new RateLimitDecision();   // reusable: keep one per thread and nothing is allocated
        boolean allowed = perClient.tryAcquire(clientIp, 1, decision);
        headers.put("RateLimit-Policy", perClient.policy().headerValue());   // "api";q=100;w=60
        headers.put("RateLimit", decision.rateLimitHeader());                // "api";r=19;t=1
        if (!allowed) {
            headers.put("Retry-After", Long.toString(decision.retryAfterSeconds()));
            return 429;
        }
        return 200;
        // --- end ---
    }

    @Test
    void perClientLimit() {
        // --- README: per-client limiter ---
        LocalRateLimiter perClient = LocalRateLimiter.builder("api")
                .algorithm(RateLimitAlgorithm.GCRA)
                .limit(100, Duration.ofMinutes(1))    // 100 per minute for each client...
                .burst(20)                            // ...at most 20 of them at once
                .maxKeys(1_000_000)                   // bounded memory: ~134 B per key
                .build();
        // --- end ---
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            assertThat(handle(perClient, "203.0.113.50", headers)).isEqualTo(200);
        }
        assertThat(headers.get("RateLimit-Policy")).isEqualTo("\"api\";q=100;w=60");
        assertThat(handle(perClient, "203.0.113.50", headers)).isEqualTo(429);
        assertThat(headers.get("Retry-After")).isEqualTo("1"); // one permit every 600 ms
        assertThat(handle(perClient, "198.51.100.7", headers)).as("another client").isEqualTo(200);
    }

    @Test
    void clientSideThrottling() {
        // --- README: throttling a dependency ---
        LocalRateLimiter geocoderQuota = LocalRateLimiter.builder("geocoder")
                .limit(50, Duration.ofSeconds(1)).build();           // the provider allows 50 requests per second
        Pipeline geocoder = Pipeline.builder("geocoder")
                .deadline(Duration.ofSeconds(2))
                .rateLimiter(geocoderQuota, Duration.ofMillis(200))  // wait up to 200 ms for a permit
                .build();
        // --- end ---
        for (int i = 0; i < 50; i++) {
            assertThat(geocoder.<String>execute(() -> "ok")).isEqualTo("ok");
        }
        LocalRateLimiter tight = LocalRateLimiter.builder("geocoder").limit(1, Duration.ofMinutes(1)).build();
        Pipeline refusing = Pipeline.builder("geocoder").rateLimiter(tight, Duration.ofMillis(200)).build();
        refusing.execute(() -> "ok");
        assertThatThrownBy(() -> refusing.execute(() -> "ok")).isInstanceOf(RateLimitedException.class)
                .hasMessageContaining("RESOURCE/rate-limited");
    }
}
