package dev.strata.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.http.ClientIdentity;
import dev.strata.http.HttpRateLimit;
import dev.strata.http.TrustProxy;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpEdgeConfigTest {

    private static LoadedConfig load(String yaml) {
        return StrataConfig.loader().schema(ConfigSchema.standard()).yaml("shop.yaml", yaml).environment(Map.of()).load();
    }

    @Test
    void byDefaultNoProxyIsTrustedAndNothingIsLimited() throws Exception {
        LoadedConfig config = load("dependencies:\n  payments: {}\n");
        TrustProxy trust = HttpEdgeConfig.trustProxy(config.root());
        assertThat(trust.trustsAnyone()).isFalse();
        ClientIdentity client = trust.resolve(InetAddress.getByName("10.0.0.5"), name -> List.of("1.2.3.4"));
        assertThat(client.key()).isEqualTo("10.0.0.5"); // the seed's spoofed header is ignored
        assertThat(HttpEdgeConfig.rateLimit(config.root(), "checkout")).isEmpty();
    }

    @Test
    void trustAndALimitFromTheFile() throws Exception {
        LoadedConfig config = load("""
                http:
                  trust_proxy:
                    cidrs: [loopback, 10.0.0.0/8]
                    header: forwarded
                    client_header: CF-Connecting-IP
                  rate_limit:
                    limit: 3
                    window: 1m
                    algorithm: fixed-window
                    fail_open: false
                """);
        TrustProxy trust = HttpEdgeConfig.trustProxy(config.root());
        assertThat(trust.header()).isEqualTo(TrustProxy.ForwardingHeader.FORWARDED);
        assertThat(trust.clientHeader()).isEqualTo("CF-Connecting-IP");
        assertThat(trust.resolve(InetAddress.getByName("10.1.2.3"), name -> name.equals("Forwarded")
                ? List.of("for=203.0.113.9") : null).key()).isEqualTo("203.0.113.9");

        HttpRateLimit limit = HttpEdgeConfig.rateLimit(config.root(), "checkout").orElseThrow();
        assertThat(limit.limiter().policy().toString()).isEqualTo("checkout: 3 per 1m00s (fixed-window)");
        assertThat(limit.toString()).contains("inline");
        for (int i = 0; i < 3; i++) {
            assertThat(limit.check("203.0.113.9", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.ALLOWED);
        }
        assertThat(limit.check("203.0.113.9", (n, v) -> { })).isEqualTo(HttpRateLimit.Outcome.LIMITED);
    }

    @Test
    void mistakesAreReportedWithTheirKeyAndLine() {
        assertThatThrownBy(() -> load("http:\n  trust_proxy:\n    cidrs: [loopback, intranet]\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.locatedProblems()).singleElement().asString()
                        .startsWith("shop.yaml:3:").contains("http.trust_proxy.cidrs:", "'intranet' is not allowed"));
        assertThatThrownBy(() -> load("http:\n  trust_proxy:\n    hops: 1\n    cidrs: [loopback]\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("http.trust_proxy: hops 1 and cidrs [loopback] are both set"));
        assertThatThrownBy(() -> load("http:\n  trust_proxy:\n    client_header: CF-Connecting-IP\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("http.trust_proxy.client_header: 'CF-Connecting-IP' needs a trusted proxy"));
        assertThatThrownBy(() -> load("http:\n  rate_limit:\n    limit: -1\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.locatedProblems()).singleElement().asString()
                        .startsWith("shop.yaml:3:12: http.rate_limit.limit: '-1' is out of range"));
    }
}
