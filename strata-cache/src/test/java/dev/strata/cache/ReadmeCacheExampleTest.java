package dev.strata.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.resilience.Pipeline;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's StaleCache example, kept compiling and true. */
class ReadmeCacheExampleTest {

    record Price(String sku, long cents) {
    }

    static final class Pricing {
        Price fetch(String sku) {
            return new Price(sku, 1999);
        }
    }

    @Test
    void staleCache() {
        Pricing pricing = new Pricing();
        Pipeline pricingPipeline = Pipeline.builder("prices").timeout(Duration.ofSeconds(1)).build();
        // --- README: StaleCache ---
        StaleCache<String, Price> prices = StaleCache.builder("prices")
                .pipeline(pricingPipeline)
                .freshFor(Duration.ofSeconds(30)).refreshAfter(Duration.ofSeconds(20))
                .maxStaleness(Duration.ofMinutes(5))
                .build(sku -> pricing.fetch(sku));
        CacheResult<Price> price = prices.get("sku-1");   // price.stale(), price.age()
        // --- end ---
        assertThat(price.value().cents()).isEqualTo(1999);
        assertThat(price.stale()).isFalse();
    }
}
