package dev.strata.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.observe.EventBus;
import dev.strata.pool.Pool;
import dev.strata.pool.PoolConfig;
import dev.strata.pool.ResourceFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Prometheus reserves the endings {@code _total} and {@code _created}: two Micrometer names that
 * map to one Prometheus name make the second fail to register and vanish from the scrape.
 */
class PrometheusNamesTest {

    @Test
    void everyPoolMeterRegistersInPrometheusAndTheOpenedCounterIsScraped() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<String> failed = new CopyOnWriteArrayList<>();
        registry.config().onMeterRegistrationFailed((id, reason) -> failed.add(id.getName() + ": " + reason));
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Pool<Socket> pool = Pool.open(PoolConfig.builder("orders-db").maxSize(2).minIdle(1)
                     .events(EventBus.detached()).build(), sockets(server));
             StrataMetrics metrics = new StrataMetrics(registry)) {
            metrics.bind(pool);
            pool.acquire().close();
            String scrape = registry.scrape();
            assertThat(failed).as("meters that failed to register").isEmpty();
            assertThat(scrape).contains("strata_pool_connections_opened_total{dependency=\"orders-db\",layer=\"L2\"}",
                    "strata_pool_connections{dependency=\"orders-db\",layer=\"L2\"}");
        } finally {
            registry.close();
        }
    }

    private static ResourceFactory<Socket> sockets(ServerSocket server) {
        return new ResourceFactory<>() {
            @Override
            public Socket create() throws IOException {
                Socket s = new Socket();
                s.connect(server.getLocalSocketAddress(), 1000);
                return s;
            }

            @Override
            public boolean validate(Socket resource, Duration timeout) {
                return !resource.isClosed();
            }

            @Override
            public void close(Socket resource) {
                try {
                    resource.close();
                } catch (IOException ignored) {
                    // closing a socket we own: nothing to report
                }
            }
        };
    }
}
