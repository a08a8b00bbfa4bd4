package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs every benchmark method a few times outside JMH so the benchmark cannot rot unnoticed. */
class ChaosProxyBenchmarkSmokeTest {

    @Test
    void everyBenchmarkMethodMovesRealBytes() throws Exception {
        ChaosProxyBenchmark benchmark = new ChaosProxyBenchmark();
        ChaosProxyBenchmark.Servers servers = new ChaosProxyBenchmark.Servers();
        ChaosProxyBenchmark.Client client = new ChaosProxyBenchmark.Client();
        servers.start();
        try {
            client.connect(servers);
            try {
                for (int i = 0; i < 3; i++) {
                    assertThat(benchmark.roundTripDirect(client)).isEqualTo(ChaosProxyBenchmark.MESSAGE_SIZE);
                    assertThat(benchmark.roundTripProxied(client)).isEqualTo(ChaosProxyBenchmark.MESSAGE_SIZE);
                    assertThat(benchmark.bulkMiBDirect(client)).isEqualTo(ChaosProxyBenchmark.BULK_SIZE);
                    assertThat(benchmark.bulkMiBProxied(client)).isEqualTo(ChaosProxyBenchmark.BULK_SIZE);
                }
                assertThat(servers.echoProxy.connectionCount()).isEqualTo(1);
                assertThat(servers.sinkProxy.connectionCount()).isEqualTo(1);
            } finally {
                client.close();
            }
        } finally {
            servers.stop();
        }
    }
}
