package dev.strata.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.strata.chaos.ChaosProxy;
import dev.strata.chaos.Direction;
import dev.strata.chaos.Toxic;
import dev.strata.fault.Layer;
import dev.strata.network.Connected;
import dev.strata.network.Connector;
import dev.strata.network.Resolver;
import dev.strata.observe.EventBus;
import dev.strata.resilience.Backoff;
import dev.strata.resilience.Jitter;
import dev.strata.resilience.Pipeline;
import dev.strata.resilience.Retry;
import dev.strata.jdbc.StrataDataSource;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** L1 findings, each produced for real: server idle timeout, a black-holing NAT, DNS, refused and dropped connects. */
class DiagnoserNetworkTest {

    private static Pipeline retrying(String name, EventBus bus) {
        return Pipeline.builder(name).events(bus)
                .retry(Retry.builder().maxAttempts(3).backoff(Backoff.fixed(Duration.ofMillis(10))).jitter(Jitter.NONE).build())
                .build();
    }

    @Test
    void serverClosingIdleSessionsIsStaleConnectionsAfterIdleAndExplainsTheRetriesThatSucceed() throws Exception {
        EventBus bus = EventBus.detached();
        try (StrataDataSource ds = StrataDataSource.builder("orders-db", Scenario.pgUrl()).user("postgres").password("postgres")
                .property("options", "-c idle_session_timeout=500")
                .validationQuery("SELECT 1")
                .pool(p -> p.maxSize(4).minIdle(4).noValidation().events(bus))
                .build();
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", ds).build())
                     .pollInterval(Duration.ofMillis(100)).start()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            assertThat(diagnoser.diagnose().healthy()).isTrue();
            Thread.sleep(1_300); // the server closes every pooled session: the fault, for real
            long faultAt = System.nanoTime();
            // more attempts than dead connections, so every call gets through: the retries "work"
            Pipeline pipeline = Pipeline.builder("orders-db").events(bus)
                    .retry(Retry.builder().maxAttempts(6).backoff(Backoff.fixed(Duration.ofMillis(10))).jitter(Jitter.NONE).build())
                    .build();
            for (int i = 0; i < 8; i++) {
                pipeline.execute(() -> {
                    try (Connection c = ds.getConnection()) {
                        return Scenario.selectOne(c, "SELECT 1");
                    }
                });
            }

            Diagnosis d = Scenario.awaitFirst(diagnoser, "stale-connections-after-idle", Layer.NETWORK, faultAt);
            Verdict stale = d.first();
            assertThat(stale.dependency()).isEqualTo("orders-db");
            assertThat(stale.explains()).contains("retries-masking-lower-layer");
            assertThat((Long) stale.evidence().get("staleConnections")).isGreaterThanOrEqualTo(1);
            assertThat(d.verdicts()).extracting(Verdict::id).containsSubsequence("stale-connections-after-idle",
                    "retries-masking-lower-layer");
        }
    }

    @Test
    void aNatForgettingIdleFlowsIsADeadFlowNotAReset() throws Exception {
        EventBus bus = EventBus.detached();
        try (ChaosProxy nat = ChaosProxy.start("nat", new InetSocketAddress("127.0.0.1", Scenario.pgPort()));
             StrataDataSource ds = StrataDataSource.builder("orders-db",
                             "jdbc:postgresql://127.0.0.1:" + nat.port() + "/postgres").user("postgres").password("postgres")
                     .validationQuery("SELECT 1")
                     .pool(p -> p.maxSize(3).minIdle(3).validationTimeout(Duration.ofMillis(300))
                             .acquisitionTimeout(Duration.ofSeconds(3)).keepaliveInterval(Duration.ZERO).events(bus))
                     .build();
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).dataSource("orders-db", ds).build())
                     .pollInterval(Duration.ofMillis(100)).start()) {
            assertThat(ds.pool().awaitWarm(Duration.ofSeconds(20))).isTrue();
            nat.addToxic(Toxic.idleBlackhole(500));
            Thread.sleep(1_200); // every pooled flow has been idle past the NAT's limit
            long faultAt = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                try (Connection c = ds.getConnection()) {
                    Scenario.selectOne(c, "SELECT 1");
                }
            }

            Verdict dead = Scenario.awaitFirst(diagnoser, "dead-flows-blackhole", Layer.NETWORK, faultAt).first();
            assertThat((Long) dead.evidence().get("deadFlows")).isGreaterThanOrEqualTo(1);
            assertThat((Long) dead.evidence().get("shortestIdleBeforeDeathMillis")).isGreaterThanOrEqualTo(500);
            assertThat(dead.evidence()).containsEntry("poolKeepaliveIntervalMillis", 0L);
        }
    }

    @Test
    void anUnresolvableNameIsDnsFailing() throws Exception {
        EventBus bus = EventBus.detached();
        Connector connector = Connector.builder("payments").events(bus).connectTimeout(Duration.ofSeconds(3)).build();
        Pipeline pipeline = Pipeline.builder("payments").events(bus).build();
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            long faultAt = System.nanoTime();
            Throwable failure = catchThrowable(() -> pipeline.execute(() -> connector.connect("payments.invalid", 443)));
            assertThat(failure).isNotNull();
            Verdict dns = Scenario.awaitFirst(diagnoser, "dns-failing", Layer.NETWORK, faultAt).first();
            assertThat((Long) dns.evidence().get("failures")).isGreaterThanOrEqualTo(1);
            assertThat(dns.evidence().get("events").toString()).contains("payments.invalid");
        }
    }

    @Test
    void aSlowResolverIsDnsSlow() throws Exception {
        EventBus bus = EventBus.detached();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            // The resolver is the Connector's extension point; this one answers like an overloaded DNS server.
            Resolver slow = host -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of(InetAddress.getLoopbackAddress());
            };
            Connector connector = Connector.builder("catalog").events(bus).resolver(slow).dnsTtl(Duration.ZERO)
                    .slowDns(Duration.ofMillis(100)).build();
            long faultAt = System.nanoTime();
            Connected c = connector.connect("catalog.internal", server.getLocalPort());
            try (Socket socket = c.socket()) {
                assertThat(socket.isConnected()).isTrue();
            }
            Verdict dns = Scenario.awaitFirst(diagnoser, "dns-slow", Layer.NETWORK, faultAt).first();
            assertThat((Long) dns.evidence().get("slowestMillis")).isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void aClosedPortIsConnectRefused() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        EventBus bus = EventBus.detached();
        Connector connector = Connector.builder("inventory").events(bus).build();
        Pipeline pipeline = retrying("inventory", bus);
        try (Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            long faultAt = System.nanoTime();
            assertThat(catchThrowable(() -> pipeline.execute(() -> connector.connect("127.0.0.1", port)))).isNotNull();
            Verdict refused = Scenario.awaitFirst(diagnoser, "connect-refused", Layer.NETWORK, faultAt).first();
            assertThat((Long) refused.evidence().get("failedAttemptsOfCalls")).isEqualTo(3L);
        }
    }

    @Test
    void aFullAcceptQueueDroppingSynsIsConnectTimeout() throws Exception {
        EventBus bus = EventBus.detached();
        List<Socket> filling = new ArrayList<>();
        // A listener that never accepts, with a backlog of 1: once its queue is full the kernel drops
        // further SYNs, exactly what a firewall that drops does to the client.
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Diagnoser diagnoser = Diagnoser.builder(DiagnosisSource.builder(bus).build()).start()) {
            Connector filler = Connector.builder("filler").events(EventBus.detached()).connectTimeout(Duration.ofMillis(300)).build();
            for (int i = 0; i < 8; i++) {
                try {
                    filling.add(filler.connect("127.0.0.1", deaf.getLocalPort()).socket());
                } catch (RuntimeException full) {
                    break; // the queue is full: from here on SYNs are dropped
                }
            }
            Connector connector = Connector.builder("ledger").events(bus).connectTimeout(Duration.ofMillis(300)).build();
            Pipeline pipeline = Pipeline.builder("ledger").events(bus).build();
            long faultAt = System.nanoTime();
            assertThat(catchThrowable(() -> pipeline.execute(() -> connector.connect("127.0.0.1", deaf.getLocalPort()))))
                    .isNotNull();
            Verdict timeout = Scenario.awaitFirst(diagnoser, "connect-timeout", Layer.NETWORK, faultAt).first();
            assertThat((Long) timeout.evidence().get("failures")).isGreaterThanOrEqualTo(1);
        } finally {
            for (Socket s : filling) {
                s.close();
            }
        }
    }
}
