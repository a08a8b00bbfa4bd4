package dev.strata.shop.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoSettingsTest {

    @Test
    void compressionKeepsTheSeedsRatios() {
        DemoSettings s = DemoSettings.standard();
        assertThat(s.paymentsSlow().toNanos() / s.paymentsNormal().toNanos()).isEqualTo(25); // 5 s vs 200 ms
        assertThat(s.paymentsNormal()).isEqualTo(Duration.ofMillis(20));
        assertThat(s.dbIdleTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.keepalive()).isLessThan(s.dbIdleTimeout());
        assertThat(s.poolIdleTimeout()).isLessThan(s.dbIdleTimeout());
        assertThat(s.quiet()).isGreaterThan(s.dbIdleTimeout());
        assertThat(s.paymentAttemptTimeout()).isLessThan(s.paymentsSlow()).isGreaterThan(s.paymentsNormal());
        DemoSettings quick = DemoSettings.quick();
        assertThat(quick.paymentsSlow()).isEqualTo(s.paymentsSlow());
        assertThat(quick.dbIdleTimeout()).isEqualTo(s.dbIdleTimeout());
    }

    @Test
    void badValuesNameTheFieldTheValueAndTheRange() {
        assertThatThrownBy(() -> new DemoSettings(0, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(8), 20, 10, 10, 120, 4, 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeCompression: 0 is out of range; allowed 1..100");
        assertThatThrownBy(() -> new DemoSettings(10, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(2), 20, 10, 10, 120, 4, 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("flapping: 2000 ms is out of range; allowed >= 5500 ms");
        assertThatThrownBy(() -> new DemoSettings(10, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(8), 20, 10, 10, 0, 4, 8))
                .hasMessage("maxInFlight: 0 is out of range; allowed 1..10000");
    }

    @Test
    void jsonWriterOutputParsesBack() throws Exception {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("name", "quote \" backslash \\ newline \n tab \t control \u0001");
        tree.put("rate", 0.995);
        tree.put("whole", 1.0);
        tree.put("count", 42L);
        tree.put("missing", null);
        tree.put("list", List.of(1, "two", Map.of()));
        tree.put("empty", List.of());
        JsonNode parsed = new ObjectMapper().readTree(dev.strata.shop.Response.jsonText(tree));
        assertThat(parsed.get("name").asText()).isEqualTo(tree.get("name"));
        assertThat(parsed.get("rate").asDouble()).isEqualTo(0.995);
        assertThat(parsed.get("whole").asDouble()).isEqualTo(1.0);
        assertThat(parsed.get("count").asLong()).isEqualTo(42);
        assertThat(parsed.get("missing").isNull()).isTrue();
        assertThat(parsed.get("list")).hasSize(3);
        assertThat(parsed.get("empty")).isEmpty();
    }
}
